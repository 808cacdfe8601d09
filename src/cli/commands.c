/*
 * commands — the command table and each command's body. Commands open the store, migrate
 * it, open core and call core functions; they never touch SQL.
 */
#include "cli/cli.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/open311/open311.h"
#include "api/gateway/gateway.h"
#include "api/rest/rest.h"
#include "cli/address_cmd.h"
#include "cli/document_cmd.h"
#include "cli/courrier_cmd.h"
#include "cli/mailgate_cmd.h"
#include "core/mail_held.h"
#include "cli/area_cmd.h"
#include "cli/agent_cmd.h"
#include "cli/demo.h"
#include "cli/options.h"
#include "cli/pdf_cmd.h"
#include "cli/procedure_cmd.h"
#include "cli/session.h"
#include "docs/pdf.h"
#include "sign/tsa.h"
#include "core/antivirus.h"
#include "core/parapheur.h"
#include "core/admin.h"
#include "core/apikey.h"
#include "core/catalogue.h"
#include "core/document.h"
#include "core/core.h"
#include "core/hasher.h"
#include "channels/dispatch.h"
#include "channels/mail/mail.h"
#include "channels/sms/sms.h"
#include "channels/sms/sms_in.h"
#include "core/attachment.h"
#include "core/retention.h"
#include "core/webhook.h"
#include "core/upload_stash.h"
#include "http/http.h"
#include "present/present.h"
#include "web/backoffice/backoffice.h"
#include "web/portal/portal.h"
#include "web/web.h"
#include "workers/scheduler.h"
#include "util/log.h"
#include "util/timeutil.h"

#define GUICHET_VERSION "0.1.0"

typedef struct command {
    const char *name;
    const char *sub; /* second word, NULL when none */
    const char *summary;
    const opt_spec *opts;
    int (*run)(const opt_values *v);
} command;

#define OPT_DB CLI_OPT_DB
#define OPT_TENANT CLI_OPT_TENANT

static const opt_spec init_opts[] = {OPT_DB, {0}};
static const opt_spec demo_opts[] = {
    OPT_DB,
    {"requests", NULL, OPT_UINT, "500", 0, 0, 20000000, "number of demo requests"},
    {"years", NULL, OPT_UINT, "1", 0, 1, 20,
     "years the requests are spread over, ending today (a metropolis keeps ten)"},
    {"seed", NULL, OPT_UINT, "1", 0, 0, 4294967295.0, "random seed (same seed, same data)"},
    {0}};
static const opt_spec serve_opts[] = {
    OPT_DB,
    {"listen", "GUICHET_LISTEN", OPT_STRING, "127.0.0.1:8080", 1, 0, 0, "ADDRESS:PORT to serve"},
    {"threads", "GUICHET_THREADS", OPT_UINT, "0", 0, 0, 256, "server threads (0: one per core)"},
    {"hash-threads", "GUICHET_HASH_THREADS", OPT_UINT, "1", 0, 1, HASHER_THREADS_MAX,
     "threads hashing and checking passwords (Argon2id: about 75 ms and 64 MiB each), apart "
     "from the server threads so that a burst of logins does not stall page reads"},
    {"hash-queue", "GUICHET_HASH_QUEUE", OPT_UINT, "16", 0, 1, HASHER_QUEUE_MAX,
     "passwords waiting for a hashing thread at most; beyond, logins answer 503 with "
     "Retry-After (16 at 75 ms each: a login waits at most about 1.2 s per thread)"},
    {"mail-spam-header", "GUICHET_MAIL_SPAM_HEADER", OPT_STRING, "", 0, 0, 0,
     "the header the MTA's spam filter sets on spam besides X-Spam-Flag: YES, as \"Name: "
     "value\" (the value a prefix, any case), e.g. \"X-Spam-Status: Yes\": incoming mail "
     "carrying it is held for an administrator"},
    {"search-budget-ms", "GUICHET_SEARCH_BUDGET_MS", OPT_UINT, "10", 0, 0, SEARCH_BUDGET_MS_MAX,
     "how long a back-office text search may go on into older years once the newest are "
     "searched; beyond, the page says from which year it searched and offers the years "
     "before (0: one year per page)"},
    {"max-body", "GUICHET_MAX_BODY", OPT_UINT, "1048576", 0, 256, 1073741824.0,
     "largest urlencoded or JSON body, in bytes"},
    {"rate-ip", "GUICHET_RATE_IP", OPT_DOUBLE, "50", 0, 0, 1e9,
     "requests per second per client address (0: unlimited)"},
    {"burst-ip", "GUICHET_BURST_IP", OPT_DOUBLE, "200", 0, 1, 1e9, "burst per client address"},
    {"rate-key", "GUICHET_RATE_KEY", OPT_DOUBLE, "20", 0, 0, 1e9,
     "writes per second per API key (0: unlimited)"},
    {"burst-key", "GUICHET_BURST_KEY", OPT_DOUBLE, "100", 0, 1, 1e9, "burst per API key"},
    {"public-url", "GUICHET_PUBLIC_URL", OPT_STRING, NULL, 0, 0, 0,
     "base URL of the links in e-mails, e.g. https://grc.ville.fr (default: each "
     "collectivité's first host name; never the Host header)"},
    {"busy-timeout-ms", "GUICHET_BUSY_TIMEOUT_MS", OPT_UINT, "5000", 0, 0, 600000,
     "how long a write waits for a locked database before answering 503"},
    {"max-upload", "GUICHET_MAX_UPLOAD", OPT_UINT, "10485760", 0, 1024, 1073741824.0,
     "largest file a form may attach, in bytes (a form with files may be max-upload × "
     "max-files + max-body long; a larger file is refused on the form, which keeps the rest)"},
    {"max-files", "GUICHET_MAX_FILES", OPT_UINT, "5", 0, 1, 100,
     "files one form or request may attach at most"},
    {"uploads-dir", "GUICHET_UPLOADS_DIR", OPT_STRING, NULL, 0, 0, 0,
     "where attached files are kept (default: uploads/ next to the database)"},
    {"map-tiles-url", "GUICHET_MAP_TILES_URL", OPT_STRING,
     "https://tile.openstreetmap.org/{z}/{x}/{y}.png", 0, 0, 0,
     "map tiles for the optional map (empty: no map)"},
    {"map-attribution", "GUICHET_MAP_ATTRIBUTION", OPT_STRING,
     "© les contributeurs d'OpenStreetMap", 0, 0, 0, "credit shown on the map"},
    {"smtp-url", "GUICHET_SMTP_URL", OPT_STRING, "", 0, 0, 0,
     "SMTP relay for outgoing e-mail, smtp://HOST:PORT or smtps://HOST:PORT (empty: e-mail "
     "stays queued)"},
    {"mail-from", "GUICHET_MAIL_FROM", OPT_STRING, "", 0, 0, 0,
     "sender address of outgoing e-mail, e.g. ne-pas-repondre@ville.fr"},
    {"mail-backoff", "GUICHET_MAIL_BACKOFF_S", OPT_UINT, "30", 0, 1, 3600,
     "seconds before the first retry of an e-mail the relay (or an SMS Kannel) did not take "
     "(doubles each time)"},
    {"mail-attachment-max", "GUICHET_MAIL_ATTACHMENT_MAX", OPT_UINT, "5242880", 0, 1024, 67108864.0,
     "bytes of a document joined to an e-mail at most; a larger one is announced with the "
     "tracking link"},
    {"broadcast-rate", "GUICHET_BROADCAST_RATE", OPT_UINT, "20", 0, 0, 10000,
     "broadcast e-mails sent per second at most (0: no limit); a request's notices always go "
     "first"},
    {"cache-mb", "GUICHET_CACHE_MB", OPT_UINT, "64", 0, 0, 65536,
     "memory for cached public GET answers, in MiB (0: no cache)"},
    {"log-level", "GUICHET_LOG_LEVEL", OPT_STRING, "info", 0, 0, 0, "debug, info, warn or error"},
    {"conn-per-ip", "GUICHET_CONN_PER_IP", OPT_UINT, "128", 0, 0, 4096,
     "open connections per client address (0: no cap; trusted proxies are exempt)"},
    {"header-timeout", "GUICHET_HEADER_TIMEOUT_S", OPT_UINT, "20", 0, 0, 3600,
     "seconds a connection may take to send a request's headers (0: no limit)"},
    {"min-body-rate", "GUICHET_MIN_BODY_RATE", OPT_UINT, "1024", 0, 0, 1073741824.0,
     "bytes per second a request body must average after --header-timeout (0: no floor)"},
    {"trusted-proxy", "GUICHET_TRUSTED_PROXIES", OPT_LIST, "", 0, 0, 0,
     "address of a reverse proxy in front (its X-Forwarded-For names the client); repeat it "
     "or separate addresses with commas"},
    {"clamd-socket", "GUICHET_CLAMD_SOCKET", OPT_STRING, "", 0, 0, 0,
     "clamd's Unix socket, e.g. /run/clamav/clamd.ctl: every uploaded file is scanned before "
     "it is accepted, and refused when clamd cannot scan it (empty: no scan)"},
    {"clamd-address", "GUICHET_CLAMD_ADDRESS", OPT_STRING, "", 0, 0, 0,
     "clamd's TCP address instead of its socket, on this machine only: 127.0.0.1:3310, "
     "[::1]:3310 or localhost:3310"},
    {"clamd-timeout", "GUICHET_CLAMD_TIMEOUT_S", OPT_UINT, "30", 0, 1, 600,
     "seconds one scan may take before the file is refused as unscanned"},
    {"pkcs11-module", "GUICHET_PKCS11_MODULE", OPT_STRING, "", 0, 0, 0,
     "the PKCS#11 module holding élus' signing keys on this server (an HSM's, or SoftHSM2's "
     "/usr/lib/softhsm/libsofthsm2.so); empty: élus' keys are PKCS#12 files only"},
    {"crl-private-ok", "GUICHET_CRL_PRIVATE_OK", OPT_FLAG, NULL, 0, 0, 0,
     "the parapheur's signatures: fetch a CRL (B-LT) or ask the TSA (B-T, B-LT) on a loopback "
     "or private address too (a CA or a TSA on the mairie's own network); refused otherwise"},
    {"retention-interval", "GUICHET_RETENTION_INTERVAL_S", OPT_UINT, "3600", 0, 0, 604800,
     "seconds between two retention passes (anonymisation of requests past their retention, "
     "audit purge); 0: none, run guichet retention run from cron"},
    {"webhook-allow-local", "GUICHET_WEBHOOK_ALLOW_LOCAL", OPT_FLAG, NULL, 0, 0, 0,
     "let webhooks go to http://127.0.0.1 or http://localhost and to private addresses "
     "(tests and development only: never in production)"},
    {"webhook-backoff", "GUICHET_WEBHOOK_BACKOFF_S", OPT_UINT, "30", 0, 1, 3600,
     "seconds before the first retry of a webhook delivery that failed (doubles each time, "
     "up to 6 hours; given up after 10 attempts)"},
    {0}};
static const opt_spec apikey_create_opts[] = {
    OPT_DB,
    {"name", NULL, OPT_STRING, NULL, 1, 0, 0, "who the key is for"},
    {"scope", NULL, OPT_STRING, "open311", 0, 0, 0, "open311, api or gateway"},
    OPT_TENANT,
    {0}};
static const opt_spec apikey_list_opts[] = {OPT_DB, OPT_TENANT, {0}};
static const opt_spec apikey_revoke_opts[] = {
    OPT_DB,
    {"id", NULL, OPT_UINT, NULL, 1, 1, 9e15, "id of the key (see apikey list)"},
    OPT_TENANT,
    {0}};
static const opt_spec tenant_add_opts[] = {
    OPT_DB,
    {"slug", NULL, OPT_STRING, NULL, 1, 0, 0, "short name, also the Open311 jurisdiction_id"},
    {"name", NULL, OPT_STRING, NULL, 1, 0, 0, "display name, e.g. \"Ville de Démo\""},
    {"hosts", NULL, OPT_STRING, "", 0, 0, 0,
     "host names it answers on, space separated; the first one builds its links"},
    {"timezone", NULL, OPT_STRING, "Europe/Paris", 0, 0, 0, "IANA time zone"},
    {"contact", NULL, OPT_STRING, "", 0, 0, 0, "public contact shown to API clients"},
    {0}};
static const opt_spec tenant_list_opts[] = {OPT_DB, {0}};
static const opt_spec setting_set_opts[] = {
    OPT_DB,
    {"name", NULL, OPT_STRING, NULL, 1, 0, 0, "the setting (see guichet setting list)"},
    {"value", NULL, OPT_STRING, NULL, 1, 0, 0, "its new value"},
    {0}};
static const opt_spec setting_list_opts[] = {OPT_DB, {0}};
static const opt_spec retention_run_opts[] = {
    OPT_DB,
    OPT_TENANT,
    {"dry-run", NULL, OPT_FLAG, NULL, 0, 0, 0, "count what is due, change nothing"},
    {"compact", NULL, OPT_FLAG, NULL, 0, 0, 0,
     "afterwards, rewrite the full-text index and truncate the write-ahead log, so that no "
     "trace of erased data stays in the files (blocks writes while it runs: a quiet hour)"},
    {"uploads-dir", "GUICHET_UPLOADS_DIR", OPT_STRING, NULL, 0, 0, 0,
     "where attached files are kept (default: uploads/ next to the database)"},
    {0}};

static const opt_spec *const all_specs[] = {init_opts,
                                            demo_opts,
                                            serve_opts,
                                            apikey_create_opts,
                                            apikey_list_opts,
                                            apikey_revoke_opts,
                                            tenant_add_opts,
                                            tenant_list_opts,
                                            agent_cmd_add_opts,
                                            setting_set_opts,
                                            setting_list_opts,
                                            agent_cmd_audit_verify_opts,
                                            agent_cmd_audit_purge_opts,
                                            agent_cmd_register_opts,
                                            retention_run_opts,
                                            NULL};
const opt_spec *const *options_all_specs = all_specs;

/* ---- helpers shared by the commands ---- */

typedef cli_session session;

static void session_close(session *s)
{
    cli_session_close(s);
}

static int session_open(const opt_values *v, session *s)
{
    return cli_session_open("guichet", v, s);
}

static const char *uploads_dir(const opt_values *v, char *out, size_t size);

/* ---- commands ---- */

static int cmd_init(const opt_values *v)
{
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    int version = 0;
    error err;
    s.store->ops->schema_version(s.store, &version, &err);
    printf("database %s ready (schema version %d)\n", opt_str(v, "db"), version);
    session_close(&s);
    return 0;
}

static int cmd_demo(const opt_values *v)
{
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    error err;
    error_clear(&err);
    int rc = demo_load(s.core, (unsigned)opt_uint(v, "requests"), (unsigned)opt_uint(v, "years"),
                       (unsigned)opt_uint(v, "seed"), stdout, &err);
    if (rc != 0)
        fprintf(stderr, "guichet demo: %s\n", err.detail[0] ? err.detail : err_name(err.code));
    session_close(&s);
    return rc == 0 ? 0 : 1;
}

static int cmd_apikey_create(const opt_values *v)
{
    apikey_scope scope;
    if (apikey_scope_parse(opt_str(v, "scope"), &scope) != 0) {
        fprintf(stderr,
                "guichet apikey create: invalid value for --scope: '%s' (open311, api or "
                "gateway)\n",
                opt_str(v, "scope"));
        return 2;
    }
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    int rc = 1;
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *t = cli_pick_tenant("guichet", cat, v);
    if (t) {
        char key[APIKEY_LEN];
        int64_t id = 0;
        error err;
        if (apikey_create_as(s.core, &actor_cli, t->rec.id, opt_str(v, "name"), scope, key, &id,
                             NULL, NULL, &err) == 0) {
            printf("API key %lld (scope %s) for %s, shown only once: %s\n", (long long)id,
                   apikey_scope_name(scope), t->rec.slug, key);
            rc = 0;
        } else {
            fprintf(stderr, "guichet apikey create: %s\n", err.detail);
        }
    }
    catalogue_release(s.core, cat);
    session_close(&s);
    return rc;
}

static int cmd_apikey_list(const opt_values *v)
{
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    int rc = 1;
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *t = cli_pick_tenant("guichet", cat, v);
    arena a;
    arena_init(&a, 0);
    store_apikey *keys = NULL;
    size_t n = 0;
    error err;
    if (t && apikey_list(s.core, t->rec.id, &a, &keys, &n, &err) == 0) {
        printf("%-6s %-8s %-10s %-25s %-9s %s\n", "id", "scope", "prefix", "created", "state",
               "name");
        for (size_t i = 0; i < n; i++) {
            char created[TIME_RFC3339_LEN];
            time_format_rfc3339(keys[i].created_at, t->rec.timezone, created);
            printf("%-6lld %-8s %-10s %-25s %-9s %s\n", (long long)keys[i].id, keys[i].scope,
                   keys[i].prefix ? keys[i].prefix : "", created,
                   keys[i].revoked_at ? "revoked" : "active", keys[i].name);
        }
        rc = 0;
    } else if (t) {
        fprintf(stderr, "guichet apikey list: %s\n", err.detail);
    }
    arena_free(&a);
    catalogue_release(s.core, cat);
    session_close(&s);
    return rc;
}

static int cmd_apikey_revoke(const opt_values *v)
{
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    int rc = 1;
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *t = cli_pick_tenant("guichet", cat, v);
    error err;
    if (t && apikey_revoke_as(s.core, &actor_cli, t->rec.id, (int64_t)opt_uint(v, "id"), NULL, NULL,
                              &err) == 0) {
        printf("API key %lu revoked\n", opt_uint(v, "id"));
        rc = 0;
    } else if (t) {
        fprintf(stderr, "guichet apikey revoke: %s\n", err.detail);
    }
    catalogue_release(s.core, cat);
    session_close(&s);
    return rc;
}

static int cmd_tenant_add(const opt_values *v)
{
    const char *slug = opt_str(v, "slug");
    for (const char *p = slug; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
            fprintf(stderr,
                    "guichet tenant add: invalid value for --slug: '%s' (lowercase "
                    "letters, digits and '-')\n",
                    slug);
            return 2;
        }
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    store_tenant t = {.slug = slug,
                      .name = opt_str(v, "name"),
                      .hosts = opt_str(v, "hosts"),
                      .timezone = opt_str(v, "timezone"),
                      .contact = opt_str(v, "contact")};
    int64_t id = 0;
    error err;
    int rc = admin_tenant_upsert_as(s.core, &actor_cli, &t, &id, NULL, NULL, &err);
    /* A value to correct (a malformed host name, one another collectivité has) is a usage
     * error, like a malformed option. */
    int usage = rc != 0 && (err.code == ERR_INVALID_ARG || err.code == ERR_CONFLICT) && err.arg[0];
    if (rc == 0)
        printf("collectivité %s saved (id %lld)\n", slug, (long long)id);
    else if (usage)
        fprintf(stderr, "guichet tenant add: invalid value for --%s: %s\n", err.arg, err.detail);
    else
        fprintf(stderr, "guichet tenant add: %s\n", err.detail);
    session_close(&s);
    return rc == 0 ? 0 : usage ? 2 : 1;
}

static int cmd_tenant_list(const opt_values *v)
{
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    const catalogue *cat = catalogue_acquire(s.core);
    printf("%-20s %-30s %s\n", "slug", "name", "hosts");
    for (size_t i = 0; i < cat->n_tenants; i++)
        printf("%-20s %-30s %s\n", cat->tenants[i].rec.slug, cat->tenants[i].rec.name,
               cat->tenants[i].rec.hosts ? cat->tenants[i].rec.hosts : "");
    catalogue_release(s.core, cat);
    session_close(&s);
    return 0;
}

static int cmd_setting_set(const opt_values *v)
{
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    error err;
    int rc = core_setting_set(s.core, opt_str(v, "name"), opt_str(v, "value"), &err);
    if (rc == 0)
        printf("%s = %s\n", opt_str(v, "name"), opt_str(v, "value"));
    else
        fprintf(stderr, "guichet setting set: invalid value for --%s: %s\n", err.arg, err.detail);
    session_close(&s);
    return rc == 0 ? 0 : 2;
}

static int cmd_setting_list(const opt_values *v)
{
    session s;
    if (session_open(v, &s) != 0)
        return 1;
    arena a;
    arena_init(&a, 0);
    int rc = 0;
    for (const core_setting_info *i = core_settings; i->name; i++) {
        const char *value = NULL;
        error err;
        if (core_setting_get(s.core, i->name, &a, &value, &err) != 0) {
            fprintf(stderr, "guichet setting list: %s\n", err.detail);
            rc = 1;
            break;
        }
        printf("%-22s %-8s %ld..%ld  %s\n", i->name, value ? value : "(default)", i->min, i->max,
               i->meaning);
    }
    arena_free(&a);
    session_close(&s);
    return rc;
}

static void print_retention(const char *slug, int dry, const retention_report *r)
{
    if (dry)
        printf("retention %s (dry run): %lld to anonymise (%lld on request), %lld to list on "
               "%lld new bordereau(x), %lld awaiting the archives' visa\n",
               slug, (long long)r->anonymised, (long long)r->on_request, (long long)r->listed,
               (long long)r->lists_created, (long long)r->awaiting_visa);
    else
        printf("retention %s: %lld anonymised (%lld on request), %lld listed on %lld new "
               "bordereau(x), %lld awaiting the archives' visa, %lld still due, %lld audit "
               "entries purged, %lld held mail(s) and %lld ended subscription(s) deleted, "
               "%lld broadcast recipient(s) erased, %lld expired code(s) deleted, %lld dropped "
               "scan(s) deleted\n",
               slug, (long long)r->anonymised, (long long)r->on_request, (long long)r->listed,
               (long long)r->lists_created, (long long)r->awaiting_visa, (long long)r->left,
               (long long)r->audit_purged, (long long)r->mail_purged,
               (long long)r->subscribers_purged, (long long)r->recipients_forgotten,
               (long long)r->tokens_purged, (long long)r->post_purged);
}

/* guichet retention run: the pass the server's scheduler makes, once, per collectivité. */
static int cmd_retention_run(const opt_values *v)
{
    session s;
    int rc = 0, dry = opt_flag(v, "dry-run");
    char updir[1024];
    /* Anonymisation deletes the files of the requests it erases. */
    if (cli_session_open_files("guichet", v,
                               dry ? NULL : uploads_dir(v, updir, sizeof updir), &s) != 0)
        return 1;
    error err;
    error_clear(&err);
    const catalogue *cat = catalogue_acquire(s.core);
    const cat_tenant *only = opt_str(v, "tenant") ? cli_pick_tenant("guichet", cat, v) : NULL;
    if (opt_str(v, "tenant") && !only)
        rc = 1;
    for (size_t i = 0; rc == 0 && i < cat->n_tenants; i++) {
        const cat_tenant *t = &cat->tenants[i];
        if (only && only != t)
            continue;
        retention_opts o = {.tenant_id = t->rec.id, .dry_run = dry, .source = "cli"};
        retention_report rep = {0};
        if (retention_run(s.core, &o, &rep, &err) != 0) {
            fprintf(stderr, "guichet retention run: %s: %s\n", t->rec.slug, err.detail);
            rc = 1;
            break;
        }
        print_retention(t->rec.slug, dry, &rep);
    }
    catalogue_release(s.core, cat);
    if (rc == 0 && !dry && opt_flag(v, "compact")) {
        if (retention_compact(s.core, &err) != 0) {
            fprintf(stderr, "guichet retention run: compact: %s\n", err.detail);
            rc = 1;
        } else {
            printf("compacted: full-text index rewritten, write-ahead log truncated\n");
        }
    }
    session_close(&s);
    return rc;
}

/* The entrances. Web forms are admitted on their headers (a CSRF cookie; in the back office
 * a live session too) before their body is read; Open311 and the API authenticate with keys
 * inside the request and take small bodies only. */
static const http_mount mounts[] = {
    /* The APIs name their collectivité (jurisdiction_id, ?tenant=); static files have none. */
    {"/open311/", open311_routes, open311_write_error, NULL, 1},
    {"/api/", rest_routes, rest_write_error, NULL, 1},
    /* The mailgate's messages; the key is checked by the route. */
    {"/passerelle/", gateway_routes, gateway_write_error, NULL, 1},
    {"/static/", web_static_routes, web_write_error, web_admit_form, 1},
    /* Kannel's callbacks: one line of plain text for its log. */
    {"/passerelle/", sms_in_routes, NULL, NULL, 0},
    {"/agent/", bo_auth_routes, web_write_error, web_admit_form, 0},
    {"/agent/", bo_admin_overview_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_department_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_zone_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_agent_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_procedure_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_form_builder_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_key_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_trust_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_signing_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_costs_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_mail_in_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_webhook_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_mail_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_sms_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_settings_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_audit_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_routing_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_workflow_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_admin_procedure_workflow_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_rgpd_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_retention_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_inbox_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_parapheur_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_request_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_letters_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_intake_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_courrier_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_caller_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_receipt_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_mobile_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_notices_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_broadcast_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_pilotage_routes, web_write_error, bo_admit, 0},
    {"/agent/", bo_pilotage_map_routes, web_write_error, bo_admit, 0},
    /* The address list's JSON for the location step's scripts: GET only, errors in JSON. */
    {"/adresses/", portal_address_routes, portal_address_write_error, NULL, 0},
    {"/", portal_filing_routes, web_write_error, web_admit_form, 0},
    {"/", portal_tracking_routes, web_write_error, web_admit_form, 0},
    {"/", portal_account_routes, web_write_error, web_admit_form, 0},
    {"/", portal_account_phone_routes, web_write_error, web_admit_form, 0},
    {"/", portal_files_routes, web_write_error, web_admit_form, 0},
    {"/", portal_data_routes, web_write_error, web_admit_form, 0},
    {"/", portal_opendata_routes, web_write_error, web_admit_form, 0},
    {"/", portal_verify_routes, web_write_error, web_admit_form, 0},
    {"/", portal_subscription_routes, web_write_error, web_admit_form, 0},
    /* RFC 8058: a mail client's one-click POST carries no CSRF cookie; the link's secret
     * is its authority. */
    {"/", portal_unsubscribe_routes, web_write_error, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

/* The origin (scheme://host[:port]) of a URL, in out; "" when it has none. */
static void url_origin(const char *url, char *out, size_t size)
{
    out[0] = '\0';
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return;
    const char *end = strchr(p + 3, '/');
    size_t n = end ? (size_t)(end - url) : strlen(url);
    if (n < size && !memchr(url, ' ', n) && !memchr(url, ';', n) && !memchr(url, '\'', n))
        snprintf(out, size, "%.*s", (int)n, url);
}

/* uploads/ beside the database file unless --uploads-dir says otherwise. */
static const char *uploads_dir(const opt_values *v, char *out, size_t size)
{
    const char *dir = opt_str(v, "uploads-dir");
    if (dir && *dir)
        return dir;
    const char *db = opt_str(v, "db");
    const char *slash = strrchr(db, '/');
    if (slash)
        snprintf(out, size, "%.*s/uploads", (int)(slash - db), db);
    else
        snprintf(out, size, "uploads");
    return out;
}

/* Everything `guichet serve` runs, and the strings its configuration points to. */
struct cli_server {
    session s;
    int opened;
    http_server *srv;
    present *present; /* owned: the pages' and the mailer's templates and strings */
    mailer *mail;
    smser *sms;
    scheduler *sched;
    int writer_started;
    int web_started;
    char csp[512];
    char updir[1024];
    char proxies_buf[1024];
    const char *proxies[16];
};

/* Builds the HTTP configuration from the options; 2 (usage) with a message when one is
 * wrong. */
static int server_config(const opt_values *v, cli_server *cs, http_config *cfg)
{
    http_config_defaults(cfg);
    cfg->listen = opt_str(v, "listen");
    cfg->threads = (unsigned)opt_uint(v, "threads");
    cfg->max_body = opt_uint(v, "max-body");
    cfg->rate_ip = opt_double(v, "rate-ip");
    cfg->burst_ip = opt_double(v, "burst-ip");
    cfg->rate_key = opt_double(v, "rate-key");
    cfg->burst_key = opt_double(v, "burst-key");
    cfg->public_url = opt_str(v, "public-url");
    cfg->cache_bytes = (size_t)opt_uint(v, "cache-mb") * 1024 * 1024;
    cfg->max_upload = opt_uint(v, "max-upload");
    cfg->max_files = opt_uint(v, "max-files");
    cfg->conn_per_address = (unsigned)opt_uint(v, "conn-per-ip");
    cfg->header_timeout_ms = (int)opt_uint(v, "header-timeout") * 1000;
    cfg->min_body_rate = opt_uint(v, "min-body-rate");
    const char *proxies = opt_str(v, "trusted-proxy");
    size_t max_proxies = sizeof cs->proxies / sizeof cs->proxies[0];
    snprintf(cs->proxies_buf, sizeof cs->proxies_buf, "%s", proxies);
    int n_proxies = strlen(proxies) < sizeof cs->proxies_buf
                        ? opt_list_split(cs->proxies_buf, cs->proxies, max_proxies)
                        : -1;
    for (int i = 0; i < n_proxies; i++) {
        unsigned char bin[16];
        if (inet_pton(AF_INET, cs->proxies[i], bin) != 1 &&
            inet_pton(AF_INET6, cs->proxies[i], bin) != 1)
            n_proxies = -1;
    }
    if (n_proxies < 0) {
        fprintf(stderr,
                "guichet serve: invalid value for --trusted-proxy: '%s' (numeric addresses "
                "separated by commas, at most %zu)\n",
                proxies, max_proxies);
        return 2;
    }
    cfg->trusted_proxies = cs->proxies;
    cfg->n_trusted_proxies = (size_t)n_proxies;
    cfg->session_cookie = WEB_SESSION_COOKIE;
    cfg->secure_cookies = cfg->public_url && strncmp(cfg->public_url, "https://", 8) == 0;
    /* The page policy lets the map load tiles from their server, and nothing else. */
    char tiles_origin[256];
    url_origin(opt_str(v, "map-tiles-url"), tiles_origin, sizeof tiles_origin);
    snprintf(cs->csp, sizeof cs->csp,
             "default-src 'self'; img-src 'self' data:%s%s; object-src 'none'; "
             "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
             tiles_origin[0] ? " " : "", tiles_origin);
    cfg->csp = cs->csp;
    return 0;
}

void cli_server_stop(cli_server *cs, int timeout_ms)
{
    if (!cs)
        return;
    http_server_stop(cs->srv, timeout_ms);
    /* A back-office test message still running uses the core: it ends before the core goes
     * (its page was answered, or given up on, by the stop above). */
    dispatch_test_drain();
    /* Every connection waiting for a password check has been answered: what may be left
     * queued is failed; the writer still takes the writes of those that finish. */
    if (cs->opened)
        core_hasher_stop(cs->s.core);
    /* The mailer and the scheduler write through the writer: stop them first. */
    scheduler_stop(cs->sched);
    mailer_stop(cs->mail);
    smser_stop(cs->sms);
    if (cs->writer_started) {
        store_writer_stop(cs->s.store);
        store_writer_stats st;
        store_writer_get_stats(cs->s.store, &st);
        log_info("stopped: %llu writes in %llu commits", (unsigned long long)st.jobs,
                 (unsigned long long)st.batches);
    }
    if (cs->web_started)
        web_shutdown();
    /* After everything that renders (the server's threads, the dispatchers) has stopped. */
    present_close(cs->present);
    if (cs->opened)
        session_close(&cs->s);
    free(cs);
}

int cli_server_port(const cli_server *cs)
{
    return http_server_port(cs->srv);
}

int cli_server_in_flight(const cli_server *cs)
{
    return http_server_in_flight(cs->srv);
}

/* Says in the log whether uploads are scanned and whether clamd answers now. Only a log:
 * a clamd still loading its databases must not stop the server, whose uploads are refused
 * until clamd answers. */
static void antivirus_log_state(void)
{
    if (!antivirus_enabled()) {
        log_info("antivirus: off (no --clamd-socket nor --clamd-address): uploads are not "
                 "scanned");
        return;
    }
    char version[128];
    error err;
    error_clear(&err);
    if (antivirus_version(version, sizeof version, &err) == 0)
        log_info("antivirus: clamd at %s answers (%s): every upload is scanned", antivirus_target(),
                 version);
    else
        log_error("antivirus: clamd at %s does not answer (%s): uploads are refused until it "
                  "does",
                  antivirus_target(), err.detail);
}

/* Files of forms never sent, kept past their day while the server was down. */
static void purge_kept_uploads(core *c)
{
    size_t removed = 0;
    error err;
    error_clear(&err);
    if (upload_stash_purge(core_uploads(c), (int64_t)time(NULL), UPLOAD_STASH_MAX_AGE_S, &removed,
                           &err) != 0)
        log_warn("kept uploads not purged: %s", err.detail);
    else if (removed)
        log_info("kept uploads: %zu file(s) of forms never sent removed, thumbnails and "
                 "descriptions included",
                 removed);
}

/* Starts what `guichet serve` runs: 0 and *out, 1 on a failure (printed), 2 on a wrong
 * option. */
static int server_start(const opt_values *v, cli_server **out)
{
    *out = NULL;
    static const struct {
        const char *name;
        log_level level;
    } levels[] = {
        {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};
    const char *lvl = opt_str(v, "log-level");
    size_t li = 0;
    while (li < 4 && strcmp(levels[li].name, lvl) != 0)
        li++;
    if (li == 4) {
        fprintf(stderr,
                "guichet serve: invalid value for --log-level: '%s' (debug, info, warn "
                "or error)\n",
                lvl);
        return 2;
    }
    cli_server *cs = calloc(1, sizeof *cs);
    if (!cs) {
        fprintf(stderr, "guichet serve: out of memory\n");
        return 1;
    }
    http_config cfg;
    int rc = server_config(v, cs, &cfg);
    if (rc != 0) {
        free(cs);
        return rc;
    }
    error err;
    error_clear(&err);
    parapheur_set_pkcs11_module(opt_str(v, "pkcs11-module"));
    parapheur_set_crl_private_ok(opt_flag(v, "crl-private-ok"));
    tsa_set_private_ok(opt_flag(v, "crl-private-ok"));
    if (antivirus_configure(opt_str(v, "clamd-socket"), opt_str(v, "clamd-address"),
                            (int)opt_uint(v, "clamd-timeout") * 1000, &err) != 0) {
        fprintf(stderr, "guichet serve: invalid value for --%s: %s\n", err.arg, err.detail);
        free(cs);
        return 2;
    }
    log_set_level(levels[li].level);
    /* Request memory comes and goes by the megabyte each second across threads; without
     * these, glibc hands it back to the kernel at every dip (madvise), and each of those
     * flushes the TLB on every core. Measured: about an eighth of the writer thread's time. */
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    /* The store reads its busy timeout from the environment when it opens. */
    setenv("GUICHET_BUSY_TIMEOUT_MS", opt_str(v, "busy-timeout-ms"), 1);
    present_config pcfg = {.map_tiles_url = opt_str(v, "map-tiles-url"),
                           .map_attribution = opt_str(v, "map-attribution")};
    if (cli_session_open_files("guichet", v, uploads_dir(v, cs->updir, sizeof cs->updir),
                               &cs->s) != 0) {
        free(cs);
        return 1;
    }
    cs->opened = 1;
    /* Before serving, while no upload is in flight: files a crash left without their row. */
    size_t swept = 0;
    if (attachment_sweep(cs->s.core, &swept, &err) != 0)
        log_warn("uploads directory not swept: %s", err.detail);
    else if (swept)
        log_info("uploads directory: %zu orphan file(s) removed", swept);
    purge_kept_uploads(cs->s.core);
    core_set_upload_limits(cs->s.core, cfg.max_upload, cfg.max_files);
    /* File parts stream next to where they will be kept: same file system, no /tmp limit. */
    const char *uploads = core_uploads(cs->s.core)->path;
    cfg.upload_tmp_dir = *uploads ? uploads : NULL;
    if (!(cs->present = present_open(&pcfg, &err))) {
        fprintf(stderr, "guichet serve: templates: %s\n", err.detail);
        goto fail;
    }
    cs->web_started = 1;
    cfg.present = cs->present;
    /* The receipts the scheduler's jobs issue are written with the pages' strings. */
    document_set_strings(cs->s.core, present_strings(cs->present, LANG_FR),
                         present_strings(cs->present, LANG_EN));
    /* Before any worker renders a PDF (see pdf_library_ready). */
    if (pdf_library_ready(&err) != 0) {
        fprintf(stderr, "guichet serve: PDF library: %s\n", err.detail);
        goto fail;
    }
    if (store_writer_start(cs->s.store, &err) != 0) {
        fprintf(stderr, "guichet serve: cannot start the writer: %s\n", err.detail);
        goto fail;
    }
    cs->writer_started = 1;
    core_set_search_budget(cs->s.core, (int)opt_uint(v, "search-budget-ms"));
    if (mail_set_spam_header(cs->s.core, opt_str(v, "mail-spam-header")) != 0) {
        fprintf(stderr,
                "guichet serve: --mail-spam-header must be \"Name: value\" (printable "
                "ASCII, at most %d bytes)\n",
                MAIL_SPAM_HEADER_MAX);
        goto fail;
    }
    if (core_hasher_start(cs->s.core, (unsigned)opt_uint(v, "hash-threads"),
                          (size_t)opt_uint(v, "hash-queue"), &err) != 0) {
        fprintf(stderr, "guichet serve: password hashing: %s\n", err.detail);
        goto fail;
    }
    mailer_config mcfg = {.smtp_url = opt_str(v, "smtp-url"),
                          .from_addr = opt_str(v, "mail-from"),
                          .backoff_s = (int)opt_uint(v, "mail-backoff"),
                          .broadcast_rate = (int)opt_uint(v, "broadcast-rate"),
                          .attachment_max = (size_t)opt_uint(v, "mail-attachment-max")};
    cs->mail = mailer_start(cs->s.core, cs->present, &mcfg, &err);
    if (!cs->mail) {
        fprintf(stderr, "guichet serve: e-mail: %s%s%s\n", err.arg, err.arg[0] ? ": " : "",
                err.detail);
        goto fail;
    }
    /* Each collectivité's Kannel is set in the back office; retries as e-mail's. */
    smser_config scfg_sms = {.backoff_s = (int)opt_uint(v, "mail-backoff")};
    cs->sms = smser_start(cs->s.core, cs->present, &scfg_sms, &err);
    if (!cs->sms) {
        fprintf(stderr, "guichet serve: SMS: %s\n", err.detail);
        goto fail;
    }
    webhook_allow_local(cs->s.core, opt_flag(v, "webhook-allow-local"));
    webhook_set_backoff(cs->s.core, (int)opt_uint(v, "webhook-backoff"));
    if (opt_flag(v, "webhook-allow-local"))
        log_warn("webhooks may go to local and private addresses (--webhook-allow-local)");
    /* The first pass soon after start-up, but not at every restart of a crash loop. */
    unsigned interval = (unsigned)opt_uint(v, "retention-interval");
    scheduler_config scfg = {.retention_interval_s = interval,
                             .first_delay_ms = (interval < 60 ? interval : 60) * 1000u};
    cs->sched = scheduler_start(cs->s.core, &scfg, &err);
    if (!cs->sched) {
        fprintf(stderr, "guichet serve: scheduler: %s\n", err.detail);
        goto fail;
    }
    cs->srv = http_server_start(cs->s.core, &cfg, mounts, &err);
    if (!cs->srv) {
        fprintf(stderr, "guichet serve: %s\n", err.detail);
        goto fail;
    }
    const catalogue *cat = catalogue_acquire(cs->s.core);
    log_info("guichet %s serving %zu collectivité(s) on %s (port %d)", GUICHET_VERSION,
             cat->n_tenants, cfg.listen, http_server_port(cs->srv));
    catalogue_release(cs->s.core, cat);
    antivirus_log_state();
    *out = cs;
    return 0;
fail:
    cli_server_stop(cs, 0);
    return 1;
}

static int cmd_serve(const opt_values *v)
{
    /* Signals are taken by sigwait below; block them before any thread starts so that no
     * worker thread receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Tesseract (the post room's OCR job) would otherwise start an OpenMP thread per core for
     * each page, which on a small server competes with the HTTP threads and, measured here,
     * halves its own speed; set before any thread starts, since setenv is not thread-safe.
     * An administrator's own value stands. */
    setenv("OMP_THREAD_LIMIT", "1", 0);
    cli_server *cs = NULL;
    int rc = server_start(v, &cs);
    if (rc != 0)
        return rc;
    int sig = 0;
    sigwait(&set, &sig);
    log_info("received %s: finishing the requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
    cli_server_stop(cs, 10000);
    return 0;
}

static const command commands[] = {
    {"init", NULL, "create or migrate a database", init_opts, cmd_init},
    {"demo", NULL, "load the «Ville de Démo» demo commune", demo_opts, cmd_demo},
    {"serve", NULL, "serve HTTP until SIGINT or SIGTERM", serve_opts, cmd_serve},
    {"apikey", "create", "create an API key (printed once, as the last word)", apikey_create_opts,
     cmd_apikey_create},
    {"apikey", "list", "list API keys", apikey_list_opts, cmd_apikey_list},
    {"apikey", "revoke", "revoke an API key", apikey_revoke_opts, cmd_apikey_revoke},
    {"tenant", "add", "create or update a collectivité", tenant_add_opts, cmd_tenant_add},
    {"tenant", "list", "list collectivités", tenant_list_opts, cmd_tenant_list},
    {"agent", "add", "create a back-office agent (password on standard input)", agent_cmd_add_opts,
     agent_cmd_add},
    {"audit", "verify", "check the audit log's hash chain", agent_cmd_audit_verify_opts,
     agent_cmd_audit_verify},
    {"audit", "purge", "delete audit entries past their retention", agent_cmd_audit_purge_opts,
     agent_cmd_audit_purge},
    {"register", NULL, "print the RGPD record of processing activities (art. 30)",
     agent_cmd_register_opts, agent_cmd_register},
    {"retention", "run", "anonymise requests past their retention, purge the audit log",
     retention_run_opts, cmd_retention_run},
    {"setting", "set", "change a server-wide setting", setting_set_opts, cmd_setting_set},
    {"setting", "list", "list the settings and their values", setting_list_opts, cmd_setting_list},
    {"address", "import",
     "replace a collectivité's address list with a Base Adresse Nationale CSV file (- for "
     "standard input)",
     address_cmd_import_opts, address_cmd_import},
    {"area", "import",
     "replace a collectivité's areas of one kind (department, quartier, broadcast) with a "
     "GeoJSON file",
     area_cmd_import_opts, area_cmd_import},
    {"area", "list", "list a collectivité's areas", area_cmd_list_opts, area_cmd_list},
    {"procedure", "export",
     "print a collectivité's procedures, workflows, departments and routing as JSON",
     procedure_cmd_export_opts, procedure_cmd_export},
    {"procedure", "import",
     "check then import procedure definitions (JSON, - for standard input), all or nothing",
     procedure_cmd_import_opts, procedure_cmd_import},
    {"document", "receipt", "write a request's accusé de réception as a PDF file",
     document_cmd_receipt_opts, document_cmd_receipt},
    {"pdf", "sign",
     "sign a PDF file (PAdES B-B or B-T, an incremental update) with a PKCS#12 or PKCS#11 key",
     pdf_cmd_sign_opts, pdf_cmd_sign},
    {"pdf", "prepare",
     "prepare a PDF file for a key held elsewhere; print the SHA-256 it must sign",
     pdf_cmd_prepare_opts, pdf_cmd_prepare},
    {"pdf", "complete", "finish a prepared PDF file with the signature made elsewhere",
     pdf_cmd_complete_opts, pdf_cmd_complete},
    {"pdf", "timestamp",
     "add a document timestamp (PAdES B-LTA) to a signed PDF file, then its TSA's DSS",
     pdf_cmd_timestamp_opts, pdf_cmd_timestamp},
    {"pdf", "verify", "check every signature of a PDF file against a CA", pdf_cmd_verify_opts,
     pdf_cmd_verify},
    {"courrier", "import",
     "hand the scans of a scanner's folder to the server's post room (processed files move "
     "to DIR/traites/, refused ones to DIR/rejetes/ with their reason)",
     courrier_cmd_import_opts, courrier_cmd_import},
    {"mailgate", NULL,
     "hand one e-mail on standard input to the server (the MTA's delivery program; exit 0, 65 "
     "or 75)",
     mailgate_cmd_opts, mailgate_cmd_run},
    {NULL, NULL, NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out,
            "guichet %s — citizen relationship management for mairies\n\n"
            "usage: guichet COMMAND [options]   (guichet COMMAND --help for its options)\n\n",
            GUICHET_VERSION);
    for (const command *c = commands; c->name; c++) {
        char name[32];
        snprintf(name, sizeof name, "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
        fprintf(out, "  %-16s %s\n", name, c->summary);
    }
}

int cli_main(int argc, char **argv)
{
    /* The database, its WAL and the uploads hold personal data: whatever the caller's umask,
     * what guichet creates is for its own user only. */
    umask(077);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("guichet %s\n", GUICHET_VERSION);
        return 0;
    }
    int known_name = 0;
    for (const command *c = commands; c->name; c++) {
        if (strcmp(c->name, argv[1]) != 0)
            continue;
        known_name = 1;
        int words = 1;
        if (c->sub) {
            if (argc < 3 || strcmp(argv[2], c->sub) != 0)
                continue;
            words = 2;
        }
        char label[40];
        snprintf(label, sizeof label, "guichet %s%s%s", c->name, c->sub ? " " : "",
                 c->sub ? c->sub : "");
        opt_values v;
        int r = options_parse(label, c->opts, argc - 1 - words, argv + 1 + words, &v);
        /* The MTA reads a wrong usage of the mailgate as "try again later" (mailgate_cmd.h). */
        if (r < 0)
            return c->run == mailgate_cmd_run ? MAILGATE_EX_TEMPFAIL : 2;
        if (r == 1) {
            printf("usage: %s [options]", label);
            for (const opt_spec *o = c->opts; o->name; o++)
                if (o->type == OPT_ARG)
                    printf(" %s", o->name);
            printf("\n%s\n\noptions:\n", c->summary);
            options_usage(c->opts);
            return 0;
        }
        return c->run(&v);
    }
    if (known_name) {
        fprintf(stderr, "guichet %s: unknown or missing subcommand (", argv[1]);
        const char *sep = "";
        for (const command *c = commands; c->name; c++)
            if (strcmp(c->name, argv[1]) == 0) {
                fprintf(stderr, "%s%s", sep, c->sub);
                sep = ", ";
            }
        fprintf(stderr, ")\n");
    } else {
        fprintf(stderr, "guichet: unknown command '%s' (see guichet --help)\n", argv[1]);
    }
    return 2;
}

int cli_server_start(int argc, char **argv, cli_server **out)
{
    *out = NULL;
    opt_values v;
    int r = options_parse("guichet serve", serve_opts, argc, argv, &v);
    if (r != 0)
        return 2;
    return server_start(&v, out);
}

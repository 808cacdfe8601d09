/* Benchmark baseline: SQLite inserting one row per transaction (WAL) into a table shaped
 * like guichet's `requests` table (same columns, unique constraints and indexes), for a
 * fixed time, with a given `synchronous` mode. bench/run compares guichet's durable
 * Open311 POSTs against it: `synchronous=OFF` is the cost of a transaction with no fsync at
 * all, `synchronous=FULL` the cost of one fsync per row that group commit avoids.
 *
 * This program calls sqlite3 directly: it lives in bench/, outside the server, on purpose.
 *
 * Usage: sqlite_insert FILE off|normal|full SECONDS [plain|mirror]
 * Prints one line: "mode=MODE shape=SHAPE rows=N seconds=S inserts_per_s=R".
 * FILE must not exist. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The columns of src/store/sqlite/migrations.c's requests table, without foreign keys (no
 * parent tables here): rows as wide as guichet's. The default `plain` shape has no index
 * besides the rowid: the cheapest insert, hence the strictest baseline. */
static const char *const schema = "CREATE TABLE requests (\n"
                                  "  id INTEGER PRIMARY KEY,\n"
                                  "  tenant_id INTEGER NOT NULL,\n"
                                  "  reference TEXT NOT NULL,\n"
                                  "  token_hash TEXT,\n"
                                  "  procedure_id INTEGER NOT NULL,\n"
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
                                  "  department_id INTEGER,\n"
                                  "  assignee TEXT,\n"
                                  "  priority INTEGER NOT NULL DEFAULT 1,\n"
                                  "  status_notes TEXT,\n"
                                  "  created_at INTEGER NOT NULL,\n"
                                  "  updated_at INTEGER NOT NULL,\n"
                                  "  closed_at INTEGER,\n"
                                  "  due_at INTEGER,\n"
                                  "  api_key_id INTEGER,\n"
                                  "  citizen_id INTEGER,\n"
                                  "  notify TEXT,\n"
                                  "  is_public INTEGER NOT NULL DEFAULT 0,\n"
                                  "  rating INTEGER NOT NULL DEFAULT 0,\n"
                                  "  rating_comment TEXT,\n"
                                  "  supporters INTEGER NOT NULL DEFAULT 0\n"
                                  ") STRICT;\n";

/* The `mirror` shape adds what guichet's table maintains on every insert, as its migrations
 * leave it (src/store/sqlite/migrations.c, 1 to 4): the unique reference (a unique index,
 * which is how SQLite implements the constraint), the other indexes (partial where guichet's
 * are) and the full-text index with its trigger. Keep it in step with the migrations. */
static const char *const mirror_indexes =
    "CREATE UNIQUE INDEX requests_reference ON requests (tenant_id, reference);\n"
    "CREATE INDEX requests_created ON requests (tenant_id, created_at DESC, id DESC);\n"
    "CREATE INDEX requests_procedure ON requests (tenant_id, procedure_id, status, created_at);\n"
    "CREATE INDEX requests_status ON requests (tenant_id, status, created_at);\n"
    "CREATE INDEX requests_updated ON requests (tenant_id, updated_at);\n"
    "CREATE INDEX requests_citizen ON requests (tenant_id, citizen_id, created_at)"
    " WHERE citizen_id IS NOT NULL;\n"
    "CREATE INDEX requests_email ON requests (tenant_id, email COLLATE NOCASE, created_at)"
    " WHERE email IS NOT NULL;\n"
    "CREATE INDEX requests_public ON requests (tenant_id, created_at) WHERE is_public = 1;\n"
    "CREATE INDEX requests_geo ON requests (tenant_id, lat, lon);\n"
    "CREATE INDEX requests_due ON requests (tenant_id, due_at) WHERE closed_at IS NULL;\n"
    "CREATE INDEX requests_department ON requests (tenant_id, department_id, created_at);\n"
    "CREATE INDEX requests_assignee ON requests (tenant_id, assignee, created_at)"
    " WHERE assignee IS NOT NULL;\n"
    "CREATE VIRTUAL TABLE requests_fts USING fts5 (reference, description, address,"
    " first_name, last_name, email, phone, content = '',"
    " tokenize = 'unicode61 remove_diacritics 2');\n"
    "CREATE TRIGGER requests_fts_ai AFTER INSERT ON requests BEGIN"
    " INSERT INTO requests_fts (rowid, reference, description, address, first_name, last_name,"
    " email, phone) VALUES (new.id, new.reference, new.description, new.address,"
    " new.first_name, new.last_name, new.email, coalesce(new.phone, '')); END;\n";

/* The row guichet's bench POST writes: an incident with coordinates and attributes, no
 * contact details (so, like guichet, it skips the partial e-mail and citizen indexes). */
static const char *const insert_sql =
    "INSERT INTO requests (tenant_id, reference, token_hash, procedure_id, status, channel,"
    " description, lat, lon, address, zipcode, attributes, department_id, created_at,"
    " updated_at, due_at, api_key_id)"
    " VALUES (1, ?1, ?2, 3, 'new', 'api', ?3, 48.8566, 2.3522, ?4, '75001', ?5,"
    " 1, ?6, ?6, ?7, 1)";

/* Text of a typical Open311 incident report, so rows are as wide as real ones. */
static const char *const description =
    "Nid de poule profond sur la chaussée devant le numéro 12, environ 40 cm de diamètre. "
    "Plusieurs cyclistes ont déjà fait un écart dangereux ce matin ; merci d'intervenir "
    "rapidement, la zone est très passante aux heures d'entrée et de sortie de l'école.";
static const char *const address = "12 rue de la République, 75001 Ville de Démo";
static const char *const attributes = "{\"profondeur\":\"15\",\"gene\":\"forte\"}";

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Maps the command-line mode to the pragma; NULL for an unknown mode. */
static const char *sync_pragma(const char *mode)
{
    static const struct {
        const char *mode;
        const char *pragma;
    } modes[] = {
        {"off", "PRAGMA synchronous = OFF"},
        {"normal", "PRAGMA synchronous = NORMAL"},
        {"full", "PRAGMA synchronous = FULL"},
    };
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(modes[i].mode, mode) == 0) {
            return modes[i].pragma;
        }
    }
    return NULL;
}

/* Distinct 64-hex-digit value per row, standing in for the tracking-token hash (unique). */
static void token_for(uint64_t n, char out[65])
{
    uint64_t x = n * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    for (int part = 0; part < 4; part++) {
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 29;
        snprintf(out + part * 16, 17, "%016llx", (unsigned long long)(x + n));
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: sqlite_insert FILE off|normal|full SECONDS [plain|mirror]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int status = 1;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    char *err = NULL;

    if (argc != 4 && argc != 5) {
        return usage();
    }
    const char *shape = argc == 5 ? argv[4] : "plain";
    bool mirror = strcmp(shape, "mirror") == 0;
    if (!mirror && strcmp(shape, "plain") != 0) {
        return usage();
    }
    const char *path = argv[1];
    const char *pragma = sync_pragma(argv[2]);
    char *end = NULL;
    errno = 0;
    double seconds = strtod(argv[3], &end);
    if (pragma == NULL || errno != 0 || end == argv[3] || *end != '\0' || seconds <= 0.0 ||
        seconds > 3600.0) {
        return usage();
    }
    struct stat st;
    if (stat(path, &st) == 0) {
        /* A fresh file on every run: an old table would change what is measured. */
        fprintf(stderr, "sqlite_insert: %s already exists\n", path);
        return 2;
    }

    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "sqlite_insert: open %s: %s\n", path, sqlite3_errmsg(db));
        goto cleanup;
    }
    if (sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(db, pragma, NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK ||
        (mirror && sqlite3_exec(db, mirror_indexes, NULL, NULL, &err) != SQLITE_OK)) {
        fprintf(stderr, "sqlite_insert: setup: %s\n", err ? err : sqlite3_errmsg(db));
        goto cleanup;
    }
    if (sqlite3_prepare_v2(db, insert_sql, -1, &ins, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite_insert: prepare: %s\n", sqlite3_errmsg(db));
        goto cleanup;
    }

    time_t wall = time(NULL);
    double start = now_seconds();
    double elapsed = 0.0;
    uint64_t rows = 0;
    for (;;) {
        char reference[32];
        char token[65];
        snprintf(reference, sizeof reference, "2025-%06llu", (unsigned long long)rows + 1);
        token_for(rows, token);
        sqlite3_bind_text(ins, 1, reference, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, token, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, description, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, address, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, attributes, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 6, (sqlite3_int64)wall);
        sqlite3_bind_int64(ins, 7, (sqlite3_int64)wall + 7 * 86400);
        /* Autocommit: each step is its own transaction, committed (and, with FULL, synced)
         * before it returns, like a server committing each create on its own. */
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "sqlite_insert: insert: %s\n", sqlite3_errmsg(db));
            goto cleanup;
        }
        sqlite3_reset(ins);
        rows++;
        /* Reading the clock every 16 rows keeps its cost out of the measure at 100k+/s
         * while stopping within a few ms at FULL's few thousand per second. */
        if (rows % 16 == 0) {
            elapsed = now_seconds() - start;
            if (elapsed >= seconds) {
                break;
            }
        }
    }
    printf("mode=%s rows=%llu seconds=%.3f inserts_per_s=%.0f\n", argv[2], (unsigned long long)rows,
           elapsed, (double)rows / elapsed);
    status = 0;

cleanup:
    sqlite3_free(err);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return status;
}

/*
 * sqlite_addresses — the collectivités' address lists: the sets (address_sets), their
 * streets with the index of their words (address_streets, address_words) and their
 * addresses; the reads of the search and of the nearest address, and the writes of an
 * import (begin, streets and addresses, finish, purge of the lists replaced).
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* The streets a purge write deletes at most before it counts words: a street has about
 * five words, whose rows go with it. */
#define PURGE_STREETS_PER_ROW 6

static sq_stmt sq_address_current =
    SQ_STMT("SELECT id, count FROM address_sets WHERE tenant_id = ?1 AND state = 'current'");

static int read_current(sqlite3_stmt *st, arena *a, void *p)
{
    (void)a;
    int64_t *out = p;
    out[0] = sqlite3_column_int64(st, 0);
    out[1] = sqlite3_column_int64(st, 1);
    return 0;
}

static int store_sqlite_address_current(store *s, int64_t tenant_id, int64_t *set_id,
                                        int64_t *count, error *err)
{
    *set_id = 0;
    *count = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_current, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    int64_t row[2] = {0, 0};
    int found = 0;
    if (store_sqlite_read_one(c, st, read_current, NULL, row, &found, "address_current", err) != 0)
        return -1;
    *set_id = row[0];
    *count = row[1];
    return 0;
}

#define SQ_STREET_COLUMNS                                                                          \
    "s.id, s.set_id, s.tenant_id, s.name, s.postcode, s.insee, s.commune, s.key, s.label, "        \
    "s.lat, s.lon"

static int read_street(sqlite3_stmt *st, arena *a, void *p)
{
    store_address_street *out = p;
    int oom = 0;
    out->id = sqlite3_column_int64(st, 0);
    out->set_id = sqlite3_column_int64(st, 1);
    out->tenant_id = sqlite3_column_int64(st, 2);
    out->name = store_sqlite_col_text(st, 3, a, &oom);
    out->postcode = store_sqlite_col_text(st, 4, a, &oom);
    out->insee = store_sqlite_col_text(st, 5, a, &oom);
    out->commune = store_sqlite_col_text(st, 6, a, &oom);
    out->key = store_sqlite_col_text(st, 7, a, &oom);
    out->label = store_sqlite_col_text(st, 8, a, &oom);
    out->lat = sqlite3_column_double(st, 9);
    out->lon = sqlite3_column_double(st, 10);
    return oom ? -1 : 0;
}

static sq_stmt sq_address_words_count =
    SQ_STMT("SELECT count(*) FROM (SELECT 1 FROM address_words WHERE set_id = ?1 AND word >= ?2 "
            "AND word < ?3 LIMIT ?4)");

static int store_sqlite_address_words_count(store *s, int64_t set_id, const char *from,
                                            const char *to, size_t cap, int64_t *count, error *err)
{
    *count = 0;
    if (!from || !to)
        return error_set(err, ERR_INVALID_ARG, "word", "a word range is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_words_count, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    store_sqlite_bind_text(st, 2, from);
    store_sqlite_bind_text(st, 3, to);
    sqlite3_bind_int64(st, 4, (int64_t)cap);
    int found = 0;
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, count, &found,
                                 "address_words_count", err);
}

/* A street has a word in the range once per word: DISTINCT keeps it once («rue de la
 * paix» and the prefix "p" of "paix" and "place"). */
static sq_stmt sq_address_streets_by_word =
    SQ_STMT("SELECT " SQ_STREET_COLUMNS " FROM address_streets s WHERE s.id IN (SELECT DISTINCT "
            "w.street_id FROM address_words w WHERE w.set_id = ?1 AND w.word >= ?2 AND w.word < "
            "?3 LIMIT ?4)");

static int store_sqlite_address_streets_by_word(store *s, int64_t set_id, const char *from,
                                                const char *to, size_t limit, arena *a,
                                                store_address_street **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (!from || !to || limit == 0)
        return error_set(err, ERR_INVALID_ARG, "word", "a word range and a limit are required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_streets_by_word, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    store_sqlite_bind_text(st, 2, from);
    store_sqlite_bind_text(st, 3, to);
    sqlite3_bind_int64(st, 4, (int64_t)limit);
    return store_sqlite_read_all(c, st, read_street, a, sizeof **out, (void **)out, n,
                                 "address_streets_by_word", err);
}

#define SQ_ADDRESS_COLUMNS                                                                         \
    "a.id, a.street_id, a.ban_id, a.number, a.rep, s.name, s.postcode, s.insee, s.commune, "       \
    "a.lat, a.lon, a.label"

static int read_address(sqlite3_stmt *st, arena *a, void *p)
{
    store_address *out = p;
    int oom = 0;
    out->id = sqlite3_column_int64(st, 0);
    out->street_id = sqlite3_column_int64(st, 1);
    out->ban_id = store_sqlite_col_text(st, 2, a, &oom);
    out->number = sqlite3_column_int(st, 3);
    out->rep = store_sqlite_col_text(st, 4, a, &oom);
    out->street = store_sqlite_col_text(st, 5, a, &oom);
    out->postcode = store_sqlite_col_text(st, 6, a, &oom);
    out->insee = store_sqlite_col_text(st, 7, a, &oom);
    out->commune = store_sqlite_col_text(st, 8, a, &oom);
    out->lat = sqlite3_column_double(st, 9);
    out->lon = sqlite3_column_double(st, 10);
    out->label = store_sqlite_col_text(st, 11, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_address_by_number = SQ_STMT(
    "SELECT " SQ_ADDRESS_COLUMNS " FROM addresses a JOIN address_streets s ON s.id = a.street_id "
    "WHERE a.street_id = ?1 AND a.number = ?2 ORDER BY a.rep IS NOT NULL, a.rep, a.id LIMIT 32");

static int store_sqlite_address_by_number(store *s, int64_t street_id, int number, arena *a,
                                          store_address **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_by_number, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, street_id);
    sqlite3_bind_int(st, 2, number);
    return store_sqlite_read_all(c, st, read_address, a, sizeof **out, (void **)out, n,
                                 "address_by_number", err);
}

static sq_stmt sq_address_in_box = SQ_STMT(
    "SELECT " SQ_ADDRESS_COLUMNS " FROM addresses a JOIN address_streets s ON s.id = a.street_id "
    "WHERE a.set_id = ?1 AND a.lat BETWEEN ?2 AND ?3 AND a.lon BETWEEN ?4 AND ?5 "
    "ORDER BY (a.lat - ?6) * (a.lat - ?6) + (a.lon - ?7) * ?8 * (a.lon - ?7) * ?8, a.id LIMIT ?9");

static int store_sqlite_address_in_box(store *s, int64_t set_id, double lat_min, double lat_max,
                                       double lon_min, double lon_max, double lat, double lon,
                                       double coslat, size_t limit, arena *a, store_address **out,
                                       size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_in_box, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    sqlite3_bind_double(st, 2, lat_min);
    sqlite3_bind_double(st, 3, lat_max);
    sqlite3_bind_double(st, 4, lon_min);
    sqlite3_bind_double(st, 5, lon_max);
    sqlite3_bind_double(st, 6, lat);
    sqlite3_bind_double(st, 7, lon);
    sqlite3_bind_double(st, 8, coslat);
    sqlite3_bind_int64(st, 9, (int64_t)limit);
    return store_sqlite_read_all(c, st, read_address, a, sizeof **out, (void **)out, n,
                                 "address_in_box", err);
}

/* ---- import ---- */

static sq_stmt sq_address_sets_abandon =
    SQ_STMT("UPDATE address_sets SET state = 'old' WHERE tenant_id = ?1 AND state = 'loading'");

static sq_stmt sq_address_set_insert =
    SQ_STMT("INSERT INTO address_sets (tenant_id, state, created_at) VALUES (?1, 'loading', ?2) "
            "RETURNING id");

static int store_sqlite_tx_address_set_begin(store *s, int64_t tenant_id, int64_t now,
                                             int64_t *set_id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_sets_abandon, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (store_sqlite_run_write(c, st, NULL, "address_sets_abandon", err) != 0)
        return -1;
    if (!(st = store_sqlite_stmt(c, &sq_address_set_insert, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, store_sqlite_now_or(now));
    return store_sqlite_run_write(c, st, set_id, "address_set_insert", err);
}

static sq_stmt sq_address_street_find =
    SQ_STMT("SELECT id FROM address_streets WHERE set_id = ?1 AND insee = ?2 AND postcode = ?3 AND "
            "name = ?4");

static sq_stmt sq_address_street_insert =
    SQ_STMT("INSERT INTO address_streets (set_id, tenant_id, name, postcode, insee, commune, key, "
            "label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id");

static sq_stmt sq_address_word_insert =
    SQ_STMT("INSERT OR IGNORE INTO address_words (set_id, word, street_id) VALUES (?1, ?2, ?3)");

/* Indexes each word of key (one space apart) for street_id. */
static int insert_words(store_sqlite_conn *c, int64_t set_id, int64_t street_id, const char *key,
                        error *err)
{
    for (const char *p = key; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == 0)
            break;
        sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_word_insert, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, set_id);
        sqlite3_bind_text(st, 2, p, (int)len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, street_id);
        if (store_sqlite_run_write(c, st, NULL, "address_word_insert", err) != 0)
            return -1;
        p += len;
    }
    return 0;
}

static int store_sqlite_tx_address_street(store *s, const store_address_street *sr, int64_t *id_out,
                                          int *created, error *err)
{
    *created = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!sr->name || !sr->postcode || !sr->insee || !sr->commune || !sr->key || !sr->label)
        return error_set(err, ERR_MISSING_ARG, "street", "a street needs every field");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_street_find, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, sr->set_id);
    store_sqlite_bind_text(st, 2, sr->insee);
    store_sqlite_bind_text(st, 3, sr->postcode);
    store_sqlite_bind_text(st, 4, sr->name);
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, id_out, &found,
                              "address_street_find", err) != 0)
        return -1;
    if (found)
        return 0;
    if (!(st = store_sqlite_stmt(c, &sq_address_street_insert, err)))
        return -1;
    sqlite3_bind_int64(st, 1, sr->set_id);
    sqlite3_bind_int64(st, 2, sr->tenant_id);
    store_sqlite_bind_text(st, 3, sr->name);
    store_sqlite_bind_text(st, 4, sr->postcode);
    store_sqlite_bind_text(st, 5, sr->insee);
    store_sqlite_bind_text(st, 6, sr->commune);
    store_sqlite_bind_text(st, 7, sr->key);
    store_sqlite_bind_text(st, 8, sr->label);
    if (store_sqlite_run_write(c, st, id_out, "address_street_insert", err) != 0)
        return -1;
    *created = 1;
    return insert_words(c, sr->set_id, *id_out, sr->key, err);
}

static sq_stmt sq_address_insert =
    SQ_STMT("INSERT INTO addresses (set_id, tenant_id, street_id, ban_id, number, rep, lat, lon, "
            "label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");

static int store_sqlite_tx_address_insert(store *s, int64_t tenant_id, int64_t set_id,
                                          const store_address *ad, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!ad->ban_id || !ad->label)
        return error_set(err, ERR_MISSING_ARG, "address", "an address needs its id and label");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int64(st, 3, ad->street_id);
    store_sqlite_bind_text(st, 4, ad->ban_id);
    sqlite3_bind_int(st, 5, ad->number);
    store_sqlite_bind_text(st, 6, ad->rep);
    sqlite3_bind_double(st, 7, ad->lat);
    sqlite3_bind_double(st, 8, ad->lon);
    store_sqlite_bind_text(st, 9, ad->label);
    return store_sqlite_run_write(c, st, NULL, "address_insert", err);
}

static sq_stmt sq_address_set_state =
    SQ_STMT("SELECT state FROM address_sets WHERE id = ?1 AND tenant_id = ?2");

/* A street's place is its middle address by number (a street's mean position may lie off
 * a bent street), for the streets of ids (?2, ?3]: a range the addresses_street index
 * reads, so that each write places a bounded number of streets. */
static sq_stmt sq_address_streets_place = SQ_STMT(
    "UPDATE address_streets AS s SET lat = m.lat, lon = m.lon FROM (SELECT street_id, lat, lon "
    "FROM (SELECT a.street_id, a.lat, a.lon, row_number() OVER w AS r, count(*) OVER (PARTITION "
    "BY a.street_id) AS n FROM addresses a WHERE a.street_id > ?2 AND a.street_id <= ?3 WINDOW w "
    "AS (PARTITION BY a.street_id ORDER BY a.number, a.id)) WHERE r = n / 2 + 1) AS m WHERE "
    "s.id = m.street_id AND s.set_id = ?1");

/* The id of the limit-th street of set_id after after_id (the end of the next range). */
static sq_stmt sq_address_streets_next = SQ_STMT(
    "SELECT max(id) FROM (SELECT id FROM address_streets WHERE set_id = ?1 AND id > ?2 ORDER BY "
    "id LIMIT ?3)");

static int store_sqlite_tx_address_streets_place(store *s, int64_t set_id, int64_t after_id,
                                                 size_t limit, int64_t *last_id, error *err)
{
    *last_id = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_streets_next, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, (int64_t)(limit ? limit : 1));
    int found = 0;
    int64_t last = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &last, &found,
                              "address_streets_next", err) != 0)
        return -1;
    if (!found || last == 0)
        return 0;
    if (!(st = store_sqlite_stmt(c, &sq_address_streets_place, err)))
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, last);
    if (store_sqlite_run_write(c, st, NULL, "address_streets_place", err) != 0)
        return -1;
    *last_id = last;
    return 0;
}

static sq_stmt sq_address_set_retire =
    SQ_STMT("UPDATE address_sets SET state = 'old' WHERE tenant_id = ?1 AND state = 'current'");

static sq_stmt sq_address_set_current = SQ_STMT(
    "UPDATE address_sets SET state = 'current', count = ?3 WHERE id = ?1 AND tenant_id = ?2");

static int store_sqlite_tx_address_set_finish(store *s, int64_t tenant_id, int64_t set_id,
                                              int64_t count, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_set_state, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    arena a;
    arena_init(&a, 64);
    const char *state = NULL;
    int rc = store_sqlite_read_text(c, st, &a, &state, "address_set_state", err);
    int loading = state && strcmp(state, "loading") == 0;
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (!loading)
        return error_set(err, ERR_CONFLICT, "import",
                         "another import of this collectivité's addresses started meanwhile");
    if (!(st = store_sqlite_stmt(c, &sq_address_set_retire, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    if (store_sqlite_run_write(c, st, NULL, "address_set_retire", err) != 0)
        return -1;
    if (!(st = store_sqlite_stmt(c, &sq_address_set_current, err)))
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    sqlite3_bind_int64(st, 3, count);
    return store_sqlite_run_update(c, st, "address_set_current", "address list", err);
}

static sq_stmt sq_address_set_drop =
    SQ_STMT("UPDATE address_sets SET state = 'old' WHERE id = ?1 AND tenant_id = ?2 AND state = "
            "'loading'");

static int store_sqlite_tx_address_set_drop(store *s, int64_t tenant_id, int64_t set_id, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_set_drop, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    sqlite3_bind_int64(st, 2, tenant_id);
    return store_sqlite_run_write(c, st, NULL, "address_set_drop", err);
}

static sq_stmt sq_address_old_set =
    SQ_STMT("SELECT id FROM address_sets WHERE tenant_id = ?1 AND state = 'old' LIMIT 1");

/* A purge deletes the addresses first, then the streets with their words (the addresses
 * refer to their streets), then the set's row. */
static sq_stmt sq_address_purge_addresses = SQ_STMT(
    "DELETE FROM addresses WHERE id IN (SELECT id FROM addresses WHERE set_id = ?1 LIMIT ?2)");

static sq_stmt sq_address_purge_words =
    SQ_STMT("DELETE FROM address_words WHERE set_id = ?1 AND street_id IN (SELECT id FROM "
            "address_streets WHERE set_id = ?1 ORDER BY id LIMIT ?2)");

static sq_stmt sq_address_purge_streets = SQ_STMT(
    "DELETE FROM address_streets WHERE id IN (SELECT id FROM address_streets WHERE set_id = ?1 "
    "ORDER BY id LIMIT ?2)");

static sq_stmt sq_address_purge_set = SQ_STMT("DELETE FROM address_sets WHERE id = ?1");

/* Runs one of the purge deletions on set_id, at most limit rows; adds what it deleted. */
static int purge_step(store_sqlite_conn *c, sq_stmt *def, int64_t set_id, int64_t limit,
                      int64_t *deleted, const char *what, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, set_id);
    if (limit > 0)
        sqlite3_bind_int64(st, 2, limit);
    if (store_sqlite_run_write(c, st, NULL, what, err) != 0)
        return -1;
    *deleted += sqlite3_changes(c->db);
    return 0;
}

static int store_sqlite_tx_address_purge(store *s, int64_t tenant_id, size_t max_rows,
                                         int64_t *deleted, error *err)
{
    *deleted = 0;
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_address_old_set, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    int64_t set_id = 0;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &set_id, &found,
                              "address_old_set", err) != 0)
        return -1;
    if (!found)
        return 0;
    int64_t max = max_rows > 0 ? (int64_t)max_rows : 1;
    if (purge_step(c, &sq_address_purge_addresses, set_id, max, deleted, "address_purge", err) != 0)
        return -1;
    if (*deleted > 0)
        return 0;
    int64_t streets = max / PURGE_STREETS_PER_ROW > 0 ? max / PURGE_STREETS_PER_ROW : 1;
    if (purge_step(c, &sq_address_purge_words, set_id, streets, deleted, "address_purge_words",
                   err) != 0 ||
        purge_step(c, &sq_address_purge_streets, set_id, streets, deleted, "address_purge_streets",
                   err) != 0)
        return -1;
    if (*deleted > 0)
        return 0;
    return purge_step(c, &sq_address_purge_set, set_id, 0, deleted, "address_purge_set", err);
}

const store_addresses_ops store_sqlite_addresses_ops = {
    .current = store_sqlite_address_current,
    .words_count = store_sqlite_address_words_count,
    .streets_by_word = store_sqlite_address_streets_by_word,
    .by_number = store_sqlite_address_by_number,
    .in_box = store_sqlite_address_in_box,
    .tx_set_begin = store_sqlite_tx_address_set_begin,
    .tx_street = store_sqlite_tx_address_street,
    .tx_insert = store_sqlite_tx_address_insert,
    .tx_streets_place = store_sqlite_tx_address_streets_place,
    .tx_set_finish = store_sqlite_tx_address_set_finish,
    .tx_set_drop = store_sqlite_tx_address_set_drop,
    .tx_purge = store_sqlite_tx_address_purge,
};

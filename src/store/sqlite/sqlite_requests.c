/*
 * sqlite_requests — the requests table: the row reader (its column list beside it), a
 * request by reference or id, the nearby open requests (all, or those the public pages show),
 * and the writes core makes (insert with its reference, update, publication, public text). The
 * filtered search is sqlite_request_search.c.
 */
#include "store/sqlite/sq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/geo.h"

/* The row reader of SQ_REQUEST_COLUMNS (sq.h, shared with the search). */
int store_sqlite_read_request(sqlite3_stmt *st, arena *a, void *p)
{
    store_request *out = p; /* zeroed by the caller (the row loop zeroes each element) */
    int oom = 0;
    out->id = sqlite3_column_int64(st, 0);
    out->tenant_id = sqlite3_column_int64(st, 1);
    out->reference = store_sqlite_col_text(st, 2, a, &oom);
    out->token_hash = store_sqlite_col_text(st, 3, a, &oom);
    out->procedure_id = sqlite3_column_int64(st, 4);
    out->status = store_sqlite_col_text(st, 5, a, &oom);
    out->channel = store_sqlite_col_text(st, 6, a, &oom);
    out->description = store_sqlite_col_text(st, 7, a, &oom);
    if (sqlite3_column_type(st, 8) != SQLITE_NULL && sqlite3_column_type(st, 9) != SQLITE_NULL) {
        out->has_location = 1;
        out->lat = sqlite3_column_double(st, 8);
        out->lon = sqlite3_column_double(st, 9);
    }
    out->address = store_sqlite_col_text(st, 10, a, &oom);
    out->address_id = store_sqlite_col_text(st, 11, a, &oom);
    out->zipcode = store_sqlite_col_text(st, 12, a, &oom);
    out->attributes = store_sqlite_col_text(st, 13, a, &oom);
    out->first_name = store_sqlite_col_text(st, 14, a, &oom);
    out->last_name = store_sqlite_col_text(st, 15, a, &oom);
    out->email = store_sqlite_col_text(st, 16, a, &oom);
    out->phone = store_sqlite_col_text(st, 17, a, &oom);
    out->device_id = store_sqlite_col_text(st, 18, a, &oom);
    out->account_id = store_sqlite_col_text(st, 19, a, &oom);
    out->media_url = store_sqlite_col_text(st, 20, a, &oom);
    out->department_id = sqlite3_column_int64(st, 21);
    out->assignee = store_sqlite_col_text(st, 22, a, &oom);
    out->priority = sqlite3_column_int(st, 23);
    out->status_notes = store_sqlite_col_text(st, 24, a, &oom);
    out->created_at = sqlite3_column_int64(st, 25);
    out->updated_at = sqlite3_column_int64(st, 26);
    out->closed_at = sqlite3_column_int64(st, 27);
    out->due_at = sqlite3_column_int64(st, 28);
    out->api_key_id = sqlite3_column_int64(st, 29);
    out->citizen_id = sqlite3_column_int64(st, 30);
    out->notify = store_sqlite_col_text(st, 31, a, &oom);
    out->is_public = sqlite3_column_int(st, 32);
    out->rating = sqlite3_column_int(st, 33);
    out->rating_comment = store_sqlite_col_text(st, 34, a, &oom);
    out->supporters = sqlite3_column_int(st, 35);
    out->anonymised_at = sqlite3_column_int64(st, 36);
    out->erase_requested_at = sqlite3_column_int64(st, 37);
    out->lang = store_sqlite_col_text(st, 38, a, &oom);
    out->merged_into = sqlite3_column_int64(st, 39);
    out->merged_into_reference = store_sqlite_col_text(st, 40, a, &oom);
    out->short_code_hash = store_sqlite_col_text(st, 41, a, &oom);
    out->public_description = store_sqlite_col_text(st, 42, a, &oom);
    out->procedure_version = sqlite3_column_int(st, 43);
    return oom ? -1 : 0;
}

static sq_stmt sq_request_get = SQ_STMT(
    "SELECT " SQ_REQUEST_COLUMNS " FROM requests r WHERE r.tenant_id = ?1 AND r.reference = ?2");

/* For reads into the caller's record, which the row loop does not zero. */
static int read_request_cleared(sqlite3_stmt *st, arena *a, void *out)
{
    memset(out, 0, sizeof(store_request));
    return store_sqlite_read_request(st, a, out);
}

static int store_sqlite_request_get(store *s, int64_t tenant_id, const char *reference, arena *a,
                                    store_request *out, int *found, error *err)
{
    *found = 0;
    if (!reference)
        return error_set(err, ERR_MISSING_ARG, "reference", "reference is required");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_text(st, 2, reference, -1, SQLITE_STATIC);
    return store_sqlite_read_one(c, st, read_request_cleared, a, out, found, "request_get", err);
}

static sq_stmt sq_request_get_by_id =
    SQ_STMT("SELECT " SQ_REQUEST_COLUMNS " FROM requests r WHERE r.tenant_id = ?1 AND r.id = ?2");

static int store_sqlite_request_get_by_id(store *s, int64_t tenant_id, int64_t id, arena *a,
                                          store_request *out, int *found, error *err)
{
    *found = 0;
    memset(out, 0, sizeof *out);
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_get_by_id, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, store_sqlite_read_request, a, out, found,
                                 "request_get_by_id", err);
}

/* Bounds of requests_near: a wider search would be a list, not "near me". */
#define NEAR_MAX_RADIUS_M 100000.0

#define NEAR_MAX_LIMIT 500

typedef struct near_item {
    store_request r;
    double d;
} near_item;

static int read_near(sqlite3_stmt *st, arena *a, void *p)
{
    return store_sqlite_read_request(st, a, &((near_item *)p)->r);
}

static int near_cmp(const void *pa, const void *pb)
{
    const near_item *x = pa, *y = pb;
    if (x->d < y->d)
        return -1;
    if (x->d > y->d)
        return 1;
    return x->r.id < y->r.id ? -1 : x->r.id > y->r.id;
}

/* A bounding box on the requests_geo index, ordered by the flat-earth distance (?8 is
 * cos(latitude)), which orders like the true distance at these scales; the caller computes
 * the exact distance, filters the radius and sorts again. */
static sq_stmt sq_requests_near =
    SQ_STMT("SELECT " SQ_REQUEST_COLUMNS " FROM requests r WHERE r.tenant_id = ?1 AND "
            "r.lat BETWEEN ?2 AND ?3 AND r.lon BETWEEN ?4 AND ?5 AND r.closed_at IS NULL "
            "ORDER BY (r.lat - ?6) * (r.lat - ?6) + (r.lon - ?7) * ?8 * (r.lon - ?7) * ?8, r.id "
            "LIMIT ?9");

/* The same box and order among the requests the public pages show. Their partial index
 * (migration 21) holds only public open located requests, so the box walks those alone
 * (requests_geo would walk every request ever filed there, closed ones included); INDEXED BY
 * makes the statement fail rather than fall back to a scan if the index were gone. Kind 0
 * is an incident (PROCEDURE_INCIDENT): only incidents have a public list. */
static sq_stmt sq_requests_public_near = SQ_STMT(
    "SELECT " SQ_REQUEST_COLUMNS " FROM requests r INDEXED BY requests_public_open_geo "
    "JOIN procedures p ON p.id = r.procedure_id AND p.is_public = 1 AND p.kind = 0 "
    "WHERE r.tenant_id = ?1 AND r.is_public = 1 AND r.closed_at IS NULL AND r.lat IS NOT NULL "
    "AND r.lat BETWEEN ?2 AND ?3 AND r.lon BETWEEN ?4 AND ?5 "
    "ORDER BY (r.lat - ?6) * (r.lat - ?6) + (r.lon - ?7) * ?8 * (r.lon - ?7) * ?8, r.id "
    "LIMIT ?9");

/* Runs one of the two statements above: the box around the circle, then the exact distance,
 * the radius and the order. */
static int requests_near_run(store *s, sq_stmt *def, const char *what, int64_t tenant_id,
                             double lat, double lon, double radius_m, size_t limit, arena *a,
                             store_request **out, double **dist_out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (dist_out)
        *dist_out = NULL;
    if (!geo_valid(lat, lon))
        return error_set(err, ERR_INVALID_ARG, "lat", "invalid position");
    if (!isfinite(radius_m) || radius_m <= 0 || radius_m > NEAR_MAX_RADIUS_M)
        return error_set(err, ERR_INVALID_ARG, "radius", "radius out of range");
    if (limit == 0 || limit > NEAR_MAX_LIMIT)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit out of range");
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    double dlat, dlon, coslat;
    geo_box(lat, radius_m, &dlat, &dlon, &coslat);
    sqlite3_stmt *st = store_sqlite_stmt(c, def, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_double(st, 2, lat - dlat);
    sqlite3_bind_double(st, 3, lat + dlat);
    sqlite3_bind_double(st, 4, lon - dlon);
    sqlite3_bind_double(st, 5, lon + dlon);
    sqlite3_bind_double(st, 6, lat);
    sqlite3_bind_double(st, 7, lon);
    sqlite3_bind_double(st, 8, coslat);
    /* Twice the limit: the box's corners lie outside the circle, and the flat-earth order may
     * differ slightly from the exact one at the edge. */
    sqlite3_bind_int64(st, 9, (int64_t)limit * 2);
    near_item *items = NULL;
    size_t read = 0, count = 0;
    if (store_sqlite_read_all(c, st, read_near, a, sizeof *items, (void **)&items, &read, what,
                              err) != 0)
        return -1;
    /* Keeps those within the radius, in place. */
    for (size_t i = 0; i < read; i++) {
        items[i].d = geo_distance_m(lat, lon, items[i].r.lat, items[i].r.lon);
        if (items[i].d <= radius_m)
            items[count++] = items[i];
    }
    if (count)
        qsort(items, count, sizeof *items, near_cmp);
    if (count > limit)
        count = limit;
    if (count == 0)
        return 0;
    store_request *reqs = arena_alloc(a, count * sizeof *reqs);
    double *dists = dist_out ? arena_alloc(a, count * sizeof *dists) : NULL;
    if (!reqs || (dist_out && !dists))
        return store_sqlite_oom(err);
    for (size_t i = 0; i < count; i++) {
        reqs[i] = items[i].r;
        if (dists)
            dists[i] = items[i].d;
    }
    *out = reqs;
    if (dist_out)
        *dist_out = dists;
    *n = count;
    return 0;
}

static int store_sqlite_requests_near(store *s, int64_t tenant_id, double lat, double lon,
                                      double radius_m, size_t limit, arena *a, store_request **out,
                                      double **dist_out, size_t *n, error *err)
{
    return requests_near_run(s, &sq_requests_near, "requests_near", tenant_id, lat, lon, radius_m,
                             limit, a, out, dist_out, n, err);
}

static int store_sqlite_requests_public_near(store *s, int64_t tenant_id, double lat, double lon,
                                             double radius_m, size_t limit, arena *a,
                                             store_request **out, double **dist_out, size_t *n,
                                             error *err)
{
    return requests_near_run(s, &sq_requests_public_near, "requests_public_near", tenant_id, lat,
                             lon, radius_m, limit, a, out, dist_out, n, err);
}

static int year_utc(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return 1970;
    return tm.tm_year + 1900;
}

/* Recognises "YYYY-N…" (digits only after the dash) so that an imported reference keeps the
 * year's counter at least at its number, and later allocations never collide with it. */
static int parse_reference(const char *ref, int *year, int64_t *number)
{
    int y = 0;
    for (int i = 0; i < 4; i++) {
        if (ref[i] < '0' || ref[i] > '9')
            return -1;
        y = y * 10 + (ref[i] - '0');
    }
    if (ref[4] != '-' || ref[5] == '\0')
        return -1;
    int64_t n = 0;
    for (const char *p = ref + 5; *p; p++) {
        if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (*p - '0');
    }
    *year = y;
    *number = n;
    return 0;
}

static sq_stmt sq_ref_next =
    SQ_STMT("INSERT INTO reference_counters (tenant_id, year, last) VALUES (?1, ?2, 1) "
            "ON CONFLICT (tenant_id, year) DO UPDATE SET last = last + 1 "
            "RETURNING last");

static sq_stmt sq_ref_at_least =
    SQ_STMT("INSERT INTO reference_counters (tenant_id, year, last) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (tenant_id, year) DO UPDATE SET last = max(last, excluded.last)");

static sq_stmt sq_request_insert =
    SQ_STMT("INSERT INTO requests (tenant_id, reference, token_hash, procedure_id, status, "
            "channel, description, lat, lon, address, address_id, zipcode, attributes, "
            "first_name, last_name, email, phone, device_id, account_id, media_url, "
            "department_id, assignee, priority, status_notes, created_at, updated_at, "
            "closed_at, due_at, api_key_id, citizen_id, notify, is_public, rating, "
            "rating_comment, supporters, lang, public_description, procedure_version) VALUES (?1, "
            "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
            "?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, "
            "coalesce(?36, 'fr'), ?37, CASE WHEN ?38 > 0 THEN ?38 ELSE coalesce((SELECT "
            "max(version) FROM procedure_versions WHERE procedure_id = ?4), 1) END)");

static int store_sqlite_tx_request_insert(store *s, const store_request *r, arena *a,
                                          int64_t *id_out, const char **reference_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (r->rating < 0 || r->rating > 5)
        return error_set(err, ERR_INVALID_ARG, "rating", "a rating is between 1 and 5");
    const char *reference = r->reference;
    if (!reference) {
        int year = year_utc(r->created_at ? r->created_at : (int64_t)time(NULL));
        sqlite3_stmt *st = store_sqlite_stmt(c, &sq_ref_next, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, r->tenant_id);
        sqlite3_bind_int(st, 2, year);
        int64_t number = 0;
        if (store_sqlite_run_write(c, st, &number, "reference", err) != 0)
            return -1;
        char *ref = arena_printf(a, "%04d-%06lld", year, (long long)number);
        if (!ref)
            return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory (arena full)");
        reference = ref;
    } else {
        int year;
        int64_t number;
        if (parse_reference(reference, &year, &number) == 0) {
            sqlite3_stmt *st = store_sqlite_stmt(c, &sq_ref_at_least, err);
            if (!st)
                return -1;
            sqlite3_bind_int64(st, 1, r->tenant_id);
            sqlite3_bind_int(st, 2, year);
            sqlite3_bind_int64(st, 3, number);
            if (store_sqlite_run_write(c, st, NULL, "reference", err) != 0)
                return -1;
        }
        if (reference_out) {
            reference = arena_strdup(a, reference);
            if (!reference)
                return error_set(err, ERR_UNAVAILABLE, NULL, "out of memory (arena full)");
        }
    }
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->tenant_id);
    store_sqlite_bind_text(st, 2, reference);
    store_sqlite_bind_text(st, 3, r->token_hash);
    sqlite3_bind_int64(st, 4, r->procedure_id);
    store_sqlite_bind_text(st, 5, r->status);
    store_sqlite_bind_text(st, 6, r->channel);
    store_sqlite_bind_text(st, 7, r->description);
    if (r->has_location) {
        sqlite3_bind_double(st, 8, r->lat);
        sqlite3_bind_double(st, 9, r->lon);
    }
    store_sqlite_bind_text(st, 10, r->address);
    store_sqlite_bind_text(st, 11, r->address_id);
    store_sqlite_bind_text(st, 12, r->zipcode);
    store_sqlite_bind_text(st, 13, r->attributes);
    store_sqlite_bind_text(st, 14, r->first_name);
    store_sqlite_bind_text(st, 15, r->last_name);
    store_sqlite_bind_text(st, 16, r->email);
    store_sqlite_bind_text(st, 17, r->phone);
    store_sqlite_bind_text(st, 18, r->device_id);
    store_sqlite_bind_text(st, 19, r->account_id);
    store_sqlite_bind_text(st, 20, r->media_url);
    store_sqlite_bind_id(st, 21, r->department_id);
    store_sqlite_bind_text(st, 22, r->assignee);
    sqlite3_bind_int(st, 23, r->priority);
    store_sqlite_bind_text(st, 24, r->status_notes);
    sqlite3_bind_int64(st, 25, r->created_at);
    sqlite3_bind_int64(st, 26, r->updated_at ? r->updated_at : r->created_at);
    store_sqlite_bind_id(st, 27, r->closed_at);
    store_sqlite_bind_id(st, 28, r->due_at);
    store_sqlite_bind_id(st, 29, r->api_key_id);
    store_sqlite_bind_id(st, 30, r->citizen_id);
    store_sqlite_bind_text(st, 31, r->notify);
    sqlite3_bind_int(st, 32, r->is_public ? 1 : 0);
    sqlite3_bind_int(st, 33, r->rating);
    store_sqlite_bind_text(st, 34, r->rating_comment);
    sqlite3_bind_int(st, 35, r->supporters);
    store_sqlite_bind_text(st, 36, r->lang);
    store_sqlite_bind_text(st, 37, r->public_description);
    sqlite3_bind_int(st, 38, r->procedure_version);
    if (store_sqlite_run_write(c, st, NULL, "request_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    if (reference_out)
        *reference_out = reference;
    return 0;
}

static sq_stmt sq_request_update =
    SQ_STMT("UPDATE requests SET status = ?3, department_id = ?4, assignee = ?5, priority = ?6, "
            "status_notes = ?7, updated_at = ?8, closed_at = ?9, due_at = ?10, citizen_id = ?11, "
            "notify = ?12, is_public = ?13, rating = ?14, rating_comment = ?15, merged_into = ?16 "
            "WHERE id = ?1 AND tenant_id = ?2");

static int store_sqlite_tx_request_update(store *s, const store_request *r, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (r->rating < 0 || r->rating > 5)
        return error_set(err, ERR_INVALID_ARG, "rating", "a rating is between 1 and 5");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_update, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->tenant_id);
    store_sqlite_bind_text(st, 3, r->status);
    store_sqlite_bind_id(st, 4, r->department_id);
    store_sqlite_bind_text(st, 5, r->assignee);
    sqlite3_bind_int(st, 6, r->priority);
    store_sqlite_bind_text(st, 7, r->status_notes);
    sqlite3_bind_int64(st, 8, r->updated_at);
    store_sqlite_bind_id(st, 9, r->closed_at);
    store_sqlite_bind_id(st, 10, r->due_at);
    store_sqlite_bind_id(st, 11, r->citizen_id);
    store_sqlite_bind_text(st, 12, r->notify);
    sqlite3_bind_int(st, 13, r->is_public ? 1 : 0);
    sqlite3_bind_int(st, 14, r->rating);
    store_sqlite_bind_text(st, 15, r->rating_comment);
    store_sqlite_bind_id(st, 16, r->merged_into);
    if (store_sqlite_run_write(c, st, NULL, "request_update", err) != 0)
        return -1;
    if (sqlite3_changes(c->db) == 0)
        return error_set(err, ERR_NOT_FOUND, NULL, "request not found");
    return 0;
}

static sq_stmt sq_request_set_public =
    SQ_STMT("UPDATE requests SET is_public = ?3 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_request_set_public(store *s, int64_t tenant_id, int64_t request_id,
                                              int is_public, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_set_public, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    sqlite3_bind_int(st, 3, is_public ? 1 : 0);
    return store_sqlite_run_update(c, st, "request_set_public", "request", err);
}

static sq_stmt sq_request_set_public_description =
    SQ_STMT("UPDATE requests SET public_description = ?3 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_request_set_public_description(store *s, int64_t tenant_id,
                                                          int64_t request_id, const char *text,
                                                          error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_set_public_description, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    store_sqlite_bind_text(st, 3, text);
    return store_sqlite_run_update(c, st, "request_set_public_description", "request", err);
}

static sq_stmt sq_request_set_short_code =
    SQ_STMT("UPDATE requests SET short_code_hash = ?3 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_request_set_short_code(store *s, int64_t tenant_id, int64_t request_id,
                                                  const char *hash, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_request_set_short_code, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    store_sqlite_bind_text(st, 3, hash);
    return store_sqlite_run_update(c, st, "request_set_short_code", "request", err);
}

/* The requests merged into one, by reference (the survivor's page lists them). */
static sq_stmt sq_requests_merged =
    SQ_STMT("SELECT " SQ_REQUEST_COLUMNS " FROM requests r WHERE r.tenant_id = ?1 AND "
            "r.merged_into = ?2 ORDER BY r.id");

static int store_sqlite_requests_merged(store *s, int64_t tenant_id, int64_t into_id, arena *a,
                                        store_request **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_requests_merged, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, into_id);
    return store_sqlite_read_all(c, st, store_sqlite_read_request, a, sizeof **out, (void **)out, n,
                                 "requests_merged", err);
}

static sq_stmt sq_procedure_counts =
    SQ_STMT("SELECT procedure_id, sum(n) FROM procedure_day_counts WHERE tenant_id = ?1 AND "
            "day >= ?2 GROUP BY procedure_id HAVING sum(n) > 0");

static int read_procedure_count(sqlite3_stmt *st, arena *a, void *out)
{
    (void)a;
    store_procedure_count *pc = out;
    pc->procedure_id = sqlite3_column_int64(st, 0);
    pc->n = sqlite3_column_int64(st, 1);
    return 0;
}

static int store_sqlite_procedure_counts(store *s, int64_t tenant_id, int64_t since_day, arena *a,
                                         store_procedure_count **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_procedure_counts, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, since_day);
    return store_sqlite_read_all(c, st, read_procedure_count, a, sizeof **out, (void **)out, n,
                                 "procedure_counts", err);
}

const store_requests_ops store_sqlite_requests_ops = {
    .get = store_sqlite_request_get,
    .get_by_id = store_sqlite_request_get_by_id,
    .search = store_sqlite_request_search,
    .count = store_sqlite_request_count,
    .facts = store_sqlite_request_facts,
    .facts_unlocated = store_sqlite_facts_unlocated,
    .tx_fact_area_set = store_sqlite_tx_fact_area_set,
    .near = store_sqlite_requests_near,
    .public_near = store_sqlite_requests_public_near,
    .tx_get = store_sqlite_request_get, /* inside a job, reads use the writer connection */
    .tx_insert = store_sqlite_tx_request_insert,
    .tx_update = store_sqlite_tx_request_update,
    .tx_set_public = store_sqlite_tx_request_set_public,
    .tx_set_public_description = store_sqlite_tx_request_set_public_description,
    .tx_set_short_code = store_sqlite_tx_request_set_short_code,
    .tx_support = store_sqlite_tx_request_support,
    .tx_support_copy = store_sqlite_tx_request_support_copy,
    .merged = store_sqlite_requests_merged,
    .procedure_counts = store_sqlite_procedure_counts,
};

/*
 * sqlite_writes — the SQLite backend's writes. They run only inside a write job (on the
 * writer connection, within the job's savepoint) and refuse to run anywhere else, so that no
 * write can escape the group-commit writer's transaction and durability guarantees.
 */
#include "store/sqlite/sq.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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

int store_sqlite_tx_request_insert(store *s, const store_request *r, arena *a, int64_t *id_out,
                                   const char **reference_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    if (r->rating < 0 || r->rating > 5)
        return error_set(err, ERR_INVALID_ARG, "rating", "a rating is between 1 and 5");
    const char *reference = r->reference;
    if (!reference) {
        int year = year_utc(r->created_at ? r->created_at : (int64_t)time(NULL));
        sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REF_NEXT, err);
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
            sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REF_AT_LEAST, err);
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
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REQUEST_INSERT, err);
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
    if (store_sqlite_run_write(c, st, NULL, "request_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    if (reference_out)
        *reference_out = reference;
    return 0;
}

int store_sqlite_tx_request_update(store *s, const store_request *r, error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    if (r->rating < 0 || r->rating > 5)
        return error_set(err, ERR_INVALID_ARG, "rating", "a rating is between 1 and 5");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_REQUEST_UPDATE, err);
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
    if (store_sqlite_run_write(c, st, NULL, "request_update", err) != 0)
        return -1;
    if (sqlite3_changes(c->db) == 0)
        return error_set(err, ERR_NOT_FOUND, NULL, "request not found");
    return 0;
}

int store_sqlite_tx_event_insert(store *s, const store_event *e, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_EVENT_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, e->tenant_id);
    sqlite3_bind_int64(st, 2, e->request_id);
    sqlite3_bind_int64(st, 3, e->created_at);
    store_sqlite_bind_text(st, 4, e->kind);
    sqlite3_bind_int(st, 5, e->is_public ? 1 : 0);
    store_sqlite_bind_text(st, 6, e->actor);
    store_sqlite_bind_text(st, 7, e->channel);
    store_sqlite_bind_text(st, 8, e->status_from);
    store_sqlite_bind_text(st, 9, e->status_to);
    store_sqlite_bind_text(st, 10, e->body);
    if (store_sqlite_run_write(c, st, NULL, "event_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_sqlite_tx_idempotency_insert(store *s, int64_t tenant_id, int64_t api_key_id,
                                       const char *key, int64_t request_id, int64_t created_at,
                                       error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_IDEMPOTENCY_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, api_key_id);
    store_sqlite_bind_text(st, 3, key);
    sqlite3_bind_int64(st, 4, request_id);
    sqlite3_bind_int64(st, 5, created_at);
    return store_sqlite_run_write(c, st, NULL, "idempotency_insert", err);
}

/* Replaces the rows of tenant_hosts of tenant `id` with the names of `hosts` (one space
 * apart). A name is the key of that table: another tenant's name is refused here with its
 * owner named, before the key would refuse it with a bare constraint message. */
static int set_tenant_hosts(store_sqlite_conn *c, int64_t id, const char *hosts, error *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TENANT_HOSTS_CLEAR, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (store_sqlite_run_write(c, st, NULL, "tenant_hosts", err) != 0)
        return -1;
    int position = 0;
    for (const char *p = hosts; *p;) {
        size_t n = strcspn(p, " ");
        if (n == 0) {
            p++;
            continue;
        }
        st = store_sqlite_stmt(c, SQ_TENANT_HOST_OWNER, err);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, p, (int)n, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            error_set(err, ERR_CONFLICT, "hosts",
                      "host name '%.*s' already belongs to collectivité %s", (int)(n > 80 ? 80 : n),
                      p, (const char *)sqlite3_column_text(st, 0));
            store_sqlite_done(st);
            return -1;
        }
        store_sqlite_done(st);
        if (rc != SQLITE_DONE)
            return store_sqlite_fail(c->db, rc, "tenant_hosts", err);
        st = store_sqlite_stmt(c, SQ_TENANT_HOST_ADD, err);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, p, (int)n, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        sqlite3_bind_int(st, 3, position++);
        if (store_sqlite_run_write(c, st, NULL, "tenant_hosts", err) != 0)
            return -1;
        p += n;
    }
    return 0;
}

int store_sqlite_tx_tenant_upsert(store *s, const store_tenant *t, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_TENANT_UPSERT, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, t->slug);
    store_sqlite_bind_text(st, 2, t->name);
    store_sqlite_bind_text(st, 3, t->hosts);
    store_sqlite_bind_text(st, 4, t->timezone);
    store_sqlite_bind_text(st, 5, t->contact);
    sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "tenant_upsert", err) != 0)
        return -1;
    if (t->hosts && set_tenant_hosts(c, id, t->hosts, err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

int store_sqlite_tx_department_upsert(store *s, const store_department *d, int64_t *id_out,
                                      error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_DEPARTMENT_UPSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->tenant_id);
    store_sqlite_bind_text(st, 2, d->code);
    store_sqlite_bind_text(st, 3, d->name);
    store_sqlite_bind_text(st, 4, d->email);
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "department_upsert", err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

int store_sqlite_tx_procedure_upsert(store *s, const store_procedure *p, int64_t *id_out,
                                     error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_PROCEDURE_UPSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, p->tenant_id);
    store_sqlite_bind_text(st, 2, p->code);
    store_sqlite_bind_text(st, 3, p->name);
    store_sqlite_bind_text(st, 4, p->group_name);
    store_sqlite_bind_text(st, 5, p->description);
    store_sqlite_bind_text(st, 6, p->keywords);
    store_sqlite_bind_text(st, 7, p->attributes);
    store_sqlite_bind_text(st, 8, p->service_notice);
    store_sqlite_bind_id(st, 9, p->department_id);
    sqlite3_bind_int(st, 10, p->kind);
    sqlite3_bind_int(st, 11, p->is_public ? 1 : 0);
    sqlite3_bind_int(st, 12, p->open311 ? 1 : 0);
    sqlite3_bind_int(st, 13, p->delay_days);
    sqlite3_bind_int(st, 14, p->active ? 1 : 0);
    sqlite3_bind_int(st, 15, p->auto_public ? 1 : 0);
    sqlite3_bind_int(st, 16, p->allow_anonymous ? 1 : 0);
    sqlite3_bind_int(st, 17, p->open311_detail);
    sqlite3_bind_int(st, 18, p->retention_months);
    int64_t id = 0;
    if (store_sqlite_run_write(c, st, &id, "procedure_upsert", err) != 0)
        return -1;
    if (id_out)
        *id_out = id;
    return 0;
}

int store_sqlite_tx_apikey_insert(store *s, const store_apikey *k, int64_t *id_out, error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_APIKEY_INSERT, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, k->tenant_id);
    store_sqlite_bind_text(st, 2, k->name);
    store_sqlite_bind_text(st, 3, k->scope);
    store_sqlite_bind_text(st, 4, k->key_hash);
    store_sqlite_bind_text(st, 5, k->prefix);
    sqlite3_bind_int64(st, 6, k->created_at ? k->created_at : (int64_t)time(NULL));
    store_sqlite_bind_id(st, 7, k->revoked_at);
    if (store_sqlite_run_write(c, st, NULL, "apikey_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

int store_sqlite_tx_apikey_revoke(store *s, int64_t tenant_id, int64_t id, int64_t when, error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_APIKEY_REVOKE, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, when ? when : (int64_t)time(NULL));
    if (store_sqlite_run_write(c, st, NULL, "apikey_revoke", err) != 0)
        return -1;
    if (sqlite3_changes(c->db) == 0)
        return error_set(err, ERR_NOT_FOUND, NULL, "api key not found");
    return 0;
}

int store_sqlite_tx_setting_set(store *s, const char *name, const char *value, error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    if (!name)
        return error_set(err, ERR_MISSING_ARG, "name", "setting name is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SETTING_SET, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, name);
    store_sqlite_bind_text(st, 2, value);
    return store_sqlite_run_write(c, st, NULL, "setting_set", err);
}

int store_sqlite_tx_setting_delete(store *s, const char *name, error *err)
{
    store_sqlite_conn *c = store_sqlite_write_conn((store_sqlite_store *)s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, SQ_SETTING_DELETE, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, name);
    return store_sqlite_run_write(c, st, NULL, "setting_delete", err);
}

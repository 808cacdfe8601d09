/*
 * sqlite_mail — a collectivité's e-mail settings (mail_settings: its relay, sender and reply
 * address), its contact addresses (mail_contacts: each one a single collectivité's across the
 * instance, with the procedure its new mail is filed under), and a
 * request's «à envoyer par courrier» flag (requests.letter_due).
 */
#include "store/sqlite/sq.h"

#include <string.h>

#define SQ_MAIL_COLUMNS                                                                            \
    "tenant_id, smtp_url, smtp_user, smtp_password, from_addr, from_name, reply_local, "           \
    "reply_domain, updated_at"

static int read_mail(sqlite3_stmt *st, arena *a, void *p)
{
    store_mail_settings *m = p;
    int oom = 0;
    memset(m, 0, sizeof *m);
    m->tenant_id = sqlite3_column_int64(st, 0);
    m->smtp_url = store_sqlite_col_text(st, 1, a, &oom);
    m->smtp_user = store_sqlite_col_text(st, 2, a, &oom);
    m->smtp_password = store_sqlite_col_text(st, 3, a, &oom);
    m->from_addr = store_sqlite_col_text(st, 4, a, &oom);
    m->from_name = store_sqlite_col_text(st, 5, a, &oom);
    m->reply_local = store_sqlite_col_text(st, 6, a, &oom);
    m->reply_domain = store_sqlite_col_text(st, 7, a, &oom);
    m->updated_at = sqlite3_column_int64(st, 8);
    return oom ? -1 : 0;
}

static sq_stmt sq_mail_get =
    SQ_STMT("SELECT " SQ_MAIL_COLUMNS " FROM mail_settings WHERE tenant_id = ?1");

static int store_sqlite_mail_get(store *s, int64_t tenant_id, arena *a, store_mail_settings *out,
                                 int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_mail_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    return store_sqlite_read_one(c, st, read_mail, a, out, found, "mail_get", err);
}

static sq_stmt sq_mail_put = SQ_STMT(
    "INSERT INTO mail_settings (" SQ_MAIL_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (tenant_id) DO UPDATE SET smtp_url = excluded.smtp_url, smtp_user = "
    "excluded.smtp_user, smtp_password = excluded.smtp_password, from_addr = excluded.from_addr, "
    "from_name = excluded.from_name, reply_local = excluded.reply_local, reply_domain = "
    "excluded.reply_domain, updated_at = excluded.updated_at");

static int store_sqlite_tx_mail_put(store *s, const store_mail_settings *m, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_mail_put, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, m->tenant_id);
    store_sqlite_bind_text(st, 2, m->smtp_url);
    store_sqlite_bind_text(st, 3, m->smtp_user);
    store_sqlite_bind_text(st, 4, m->smtp_password);
    store_sqlite_bind_text(st, 5, m->from_addr);
    store_sqlite_bind_text(st, 6, m->from_name);
    store_sqlite_bind_text(st, 7, m->reply_local);
    store_sqlite_bind_text(st, 8, m->reply_domain);
    sqlite3_bind_int64(st, 9, store_sqlite_now_or(m->updated_at));
    return store_sqlite_run_write(c, st, NULL, "mail_put", err);
}

static int read_contact(sqlite3_stmt *st, arena *a, void *p)
{
    store_mail_address *m = p;
    int oom = 0;
    m->tenant_id = sqlite3_column_int64(st, 0);
    m->address = store_sqlite_col_text(st, 1, a, &oom);
    m->procedure_id = sqlite3_column_int64(st, 2); /* NULL reads as 0: none */
    return oom ? -1 : 0;
}

static sq_stmt sq_contacts = SQ_STMT("SELECT tenant_id, address, procedure_id FROM mail_contacts "
                                     "WHERE tenant_id = ?1 ORDER BY address");

static int read_contacts(store_sqlite_conn *c, int64_t tenant_id, arena *a,
                         store_mail_address **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_contacts, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    void *arr = NULL;
    if (store_sqlite_read_all(c, st, read_contact, a, sizeof(store_mail_address), &arr, n,
                              "mail_contacts", err) != 0)
        return -1;
    *out = arr;
    return 0;
}

static int store_sqlite_mail_contacts(store *s, int64_t tenant_id, arena *a,
                                      store_mail_address **out, size_t *n, error *err)
{
    return read_contacts(store_sqlite_reader(s, err), tenant_id, a, out, n, err);
}

static int store_sqlite_tx_mail_contacts(store *s, int64_t tenant_id, arena *a,
                                         store_mail_address **out, size_t *n, error *err)
{
    return read_contacts(store_sqlite_writer(s, err), tenant_id, a, out, n, err);
}

static sq_stmt sq_contact_find =
    SQ_STMT("SELECT tenant_id, address, procedure_id FROM mail_contacts WHERE address = ?1");

static int store_sqlite_mail_contact_find(store *s, const char *address, arena *a,
                                          store_mail_address *out, int *found, error *err)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_contact_find, err);
    if (!st)
        return -1;
    store_sqlite_bind_text(st, 1, address);
    return store_sqlite_read_one(c, st, read_contact, a, out, found, "mail_contact_find", err);
}

/* The address is the instance's key: an upsert that only touches the tenant's own row, so
 * that no change means another collectivité has it. */
static sq_stmt sq_contact_put =
    SQ_STMT("INSERT INTO mail_contacts (tenant_id, address, procedure_id) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (address) DO UPDATE SET procedure_id = excluded.procedure_id "
            "WHERE mail_contacts.tenant_id = excluded.tenant_id");

static int store_sqlite_tx_mail_contact_put(store *s, const store_mail_address *m, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    if (!m->address || !*m->address)
        return error_set(err, ERR_MISSING_ARG, "address", "the address is required");
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_contact_put, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, m->tenant_id);
    store_sqlite_bind_text(st, 2, m->address);
    store_sqlite_bind_id(st, 3, m->procedure_id);
    if (store_sqlite_run_write(c, st, NULL, "mail_contact_put", err) != 0)
        return -1;
    if (sqlite3_changes(c->db) == 0)
        return error_set(err, ERR_CONFLICT, "address", "%s is another collectivité's address",
                         m->address);
    return 0;
}

static sq_stmt sq_contact_delete =
    SQ_STMT("DELETE FROM mail_contacts WHERE tenant_id = ?1 AND address = ?2");

static int store_sqlite_tx_mail_contact_delete(store *s, int64_t tenant_id, const char *address,
                                               error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_contact_delete, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, address);
    return store_sqlite_run_update(c, st, "mail_contact_delete", "contact address", err);
}

static sq_stmt sq_letter_due =
    SQ_STMT("SELECT letter_due FROM requests WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_mail_letter_due(store *s, int64_t tenant_id, int64_t request_id, int *on,
                                        error *err)
{
    *on = 0;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_letter_due, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    int64_t v = 0;
    int found = 0;
    if (store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, &v, &found, "letter_due",
                              err) != 0)
        return -1;
    *on = v != 0;
    return 0;
}

static sq_stmt sq_set_letter_due =
    SQ_STMT("UPDATE requests SET letter_due = ?3 WHERE tenant_id = ?1 AND id = ?2");

static int store_sqlite_tx_mail_set_letter_due(store *s, int64_t tenant_id, int64_t request_id,
                                               int on, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_set_letter_due, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, request_id);
    sqlite3_bind_int(st, 3, on ? 1 : 0);
    return store_sqlite_run_update(c, st, "set_letter_due", "request", err);
}

const store_mail_ops store_sqlite_mail_ops = {
    .get = store_sqlite_mail_get,
    .tx_put = store_sqlite_tx_mail_put,
    .contacts = store_sqlite_mail_contacts,
    .tx_contacts = store_sqlite_tx_mail_contacts,
    .contact_find = store_sqlite_mail_contact_find,
    .tx_contact_put = store_sqlite_tx_mail_contact_put,
    .tx_contact_delete = store_sqlite_tx_mail_contact_delete,
    .letter_due = store_sqlite_mail_letter_due,
    .tx_set_letter_due = store_sqlite_tx_mail_set_letter_due,
};

/*
 * sqlite_broadcasts — topics, subscribers (double opt-in, leaving by link), broadcasts, the
 * batches of recipients their queuing job walks, and their delivery figures.
 */
#include "store/sqlite/sq.h"

#include <string.h>

/* ---- topics ---- */

#define SQ_TOPIC_COLUMNS                                                                           \
    "id, tenant_id, code, name, name_en, description, description_en, active, position"

static int read_topic(sqlite3_stmt *st, arena *a, void *p)
{
    store_topic *t = p;
    int oom = 0;
    t->id = sqlite3_column_int64(st, 0);
    t->tenant_id = sqlite3_column_int64(st, 1);
    t->code = store_sqlite_col_text(st, 2, a, &oom);
    t->name = store_sqlite_col_text(st, 3, a, &oom);
    t->name_en = store_sqlite_col_text(st, 4, a, &oom);
    t->description = store_sqlite_col_text(st, 5, a, &oom);
    t->description_en = store_sqlite_col_text(st, 6, a, &oom);
    t->active = sqlite3_column_int(st, 7);
    t->position = sqlite3_column_int(st, 8);
    return oom ? -1 : 0;
}

static sq_stmt sq_topics = SQ_STMT("SELECT " SQ_TOPIC_COLUMNS " FROM topics WHERE tenant_id = ?1 "
                                   "AND (?2 = 0 OR active = 1) ORDER BY position, id");

static int store_sqlite_topics(store *s, int64_t tenant_id, int active_only, arena *a,
                               store_topic **out, size_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_topics, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int(st, 2, active_only ? 1 : 0);
    return store_sqlite_read_all(c, st, read_topic, a, sizeof **out, (void **)out, n, "topics",
                                 err);
}

static sq_stmt sq_topic_update =
    SQ_STMT("UPDATE topics SET name = ?3, name_en = ?4, description = ?5, description_en = ?6, "
            "active = ?7 WHERE id = ?2 AND tenant_id = ?1");

static int store_sqlite_tx_topic_update(store *s, const store_topic *t, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_topic_update, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, t->tenant_id);
    sqlite3_bind_int64(st, 2, t->id);
    store_sqlite_bind_text(st, 3, t->name);
    store_sqlite_bind_text(st, 4, t->name_en ? t->name_en : "");
    store_sqlite_bind_text(st, 5, t->description ? t->description : "");
    store_sqlite_bind_text(st, 6, t->description_en ? t->description_en : "");
    sqlite3_bind_int(st, 7, t->active ? 1 : 0);
    return store_sqlite_run_update(c, st, "topic_update", "topic", err);
}

/* ---- subscribers ---- */

#define SQ_SUBSCRIBER_COLUMNS                                                                      \
    "id, tenant_id, channel, address, lang, account_id, lat, lon, confirm_hash, "                  \
    "confirm_expires_at, confirmed_at, left_at, created_at, leave_token"

static int read_subscriber(sqlite3_stmt *st, arena *a, void *p)
{
    store_subscriber *m = p;
    int oom = 0;
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    m->tenant_id = sqlite3_column_int64(st, 1);
    m->channel = store_sqlite_col_text(st, 2, a, &oom);
    m->address = store_sqlite_col_text(st, 3, a, &oom);
    m->lang = store_sqlite_col_text(st, 4, a, &oom);
    m->account_id = sqlite3_column_int64(st, 5);
    m->has_point = sqlite3_column_type(st, 6) != SQLITE_NULL;
    m->lat = sqlite3_column_double(st, 6);
    m->lon = sqlite3_column_double(st, 7);
    m->confirm_hash = store_sqlite_col_text(st, 8, a, &oom);
    m->confirm_expires_at = sqlite3_column_int64(st, 9);
    m->confirmed_at = sqlite3_column_int64(st, 10);
    m->left_at = sqlite3_column_int64(st, 11);
    m->created_at = sqlite3_column_int64(st, 12);
    m->leave_token = store_sqlite_col_text(st, 13, a, &oom);
    return oom ? -1 : 0;
}

static sq_stmt sq_subscriber_insert =
    SQ_STMT("INSERT INTO subscribers (tenant_id, channel, address, lang, account_id, lat, lon, "
            "confirm_hash, confirm_expires_at, leave_token, created_at) VALUES (?1, ?2, ?3, ?4, "
            "?5, ?6, ?7, ?8, ?9, ?10, ?11)");
static sq_stmt sq_subscriber_topic_insert =
    SQ_STMT("INSERT OR IGNORE INTO subscriber_topics (subscriber_id, topic_id) SELECT ?1, id "
            "FROM topics WHERE id = ?2 AND tenant_id = ?3");

static int store_sqlite_tx_subscriber_insert(store *s, const store_subscriber *sub, int64_t *id_out,
                                             error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_subscriber_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, sub->tenant_id);
    store_sqlite_bind_text(st, 2, sub->channel);
    store_sqlite_bind_text(st, 3, sub->address);
    store_sqlite_bind_text(st, 4, sub->lang ? sub->lang : "fr");
    store_sqlite_bind_id(st, 5, sub->account_id);
    if (sub->has_point) {
        sqlite3_bind_double(st, 6, sub->lat);
        sqlite3_bind_double(st, 7, sub->lon);
    }
    store_sqlite_bind_text(st, 8, sub->confirm_hash);
    sqlite3_bind_int64(st, 9, sub->confirm_expires_at);
    store_sqlite_bind_text(st, 10, sub->leave_token);
    sqlite3_bind_int64(st, 11, store_sqlite_now_or(sub->created_at));
    if (store_sqlite_run_write(c, st, NULL, "subscriber_insert", err) != 0)
        return -1;
    int64_t id = sqlite3_last_insert_rowid(c->db);
    for (size_t i = 0; i < sub->n_topics; i++) {
        sqlite3_stmt *tt = store_sqlite_stmt(c, &sq_subscriber_topic_insert, err);
        if (!tt)
            return -1;
        sqlite3_bind_int64(tt, 1, id);
        sqlite3_bind_int64(tt, 2, sub->topic_ids[i]);
        sqlite3_bind_int64(tt, 3, sub->tenant_id);
        if (store_sqlite_run_write(c, tt, NULL, "subscriber_topic_insert", err) != 0)
            return -1;
    }
    if (id_out)
        *id_out = id;
    return 0;
}

static sq_stmt sq_subscriber_by_confirm =
    SQ_STMT("SELECT " SQ_SUBSCRIBER_COLUMNS " FROM subscribers WHERE tenant_id = ?1 AND "
            "confirm_hash = ?2");

static int store_sqlite_tx_subscriber_by_confirm(store *s, int64_t tenant_id,
                                                 const char *confirm_hash, arena *a,
                                                 store_subscriber *out, int *found, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_subscriber_by_confirm, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, confirm_hash);
    return store_sqlite_read_one(c, st, read_subscriber, a, out, found, "subscriber_by_confirm",
                                 err);
}

static sq_stmt sq_subscriber_replace =
    SQ_STMT("UPDATE subscribers SET left_at = ?3 WHERE tenant_id = ?1 AND id <> ?2 AND "
            "confirmed_at IS NOT NULL AND left_at IS NULL AND (channel, address) = (SELECT "
            "channel, address FROM subscribers WHERE id = ?2)");
static sq_stmt sq_subscriber_confirm =
    SQ_STMT("UPDATE subscribers SET confirmed_at = ?3, confirm_hash = NULL WHERE tenant_id = ?1 "
            "AND id = ?2");

static int store_sqlite_tx_subscriber_confirm(store *s, int64_t tenant_id, int64_t id, int64_t now,
                                              error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sq_stmt *steps[] = {&sq_subscriber_replace, &sq_subscriber_confirm};
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = store_sqlite_stmt(c, steps[i], err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, id);
        sqlite3_bind_int64(st, 3, now);
        if (store_sqlite_run_write(c, st, NULL, "subscriber_confirm", err) != 0)
            return -1;
    }
    return 0;
}

static sq_stmt sq_subscriber_by_leave =
    SQ_STMT("SELECT " SQ_SUBSCRIBER_COLUMNS " FROM subscribers WHERE tenant_id = ?1 AND "
            "leave_token = ?2");

static int store_sqlite_subscriber_by_leave(store *s, int64_t tenant_id, const char *leave_token,
                                            arena *a, store_subscriber *out, int *found, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_subscriber_by_leave, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, leave_token);
    return store_sqlite_read_one(c, st, read_subscriber, a, out, found, "subscriber_by_leave", err);
}

static sq_stmt sq_subscriber_leave = SQ_STMT(
    "UPDATE subscribers SET left_at = ?3 WHERE tenant_id = ?1 AND id = ?2 AND left_at IS NULL");

static int store_sqlite_tx_subscriber_leave(store *s, int64_t tenant_id, int64_t id, int64_t now,
                                            error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_subscriber_leave, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int64(st, 3, now);
    return store_sqlite_run_write(c, st, NULL, "subscriber_leave", err);
}

static sq_stmt sq_subscribers_leave_address =
    SQ_STMT("UPDATE subscribers SET left_at = ?4 WHERE tenant_id = ?1 AND channel = ?2 AND "
            "address = ?3 COLLATE NOCASE AND left_at IS NULL");

static int store_sqlite_tx_subscribers_leave_address(store *s, int64_t tenant_id,
                                                     const char *channel, const char *address,
                                                     int64_t now, int64_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_subscribers_leave_address, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, channel);
    store_sqlite_bind_text(st, 3, address);
    sqlite3_bind_int64(st, 4, now);
    if (store_sqlite_run_write(c, st, NULL, "subscribers_leave_address", err) != 0)
        return -1;
    if (n)
        *n = sqlite3_changes(c->db);
    return 0;
}

/* Subscriptions that ended (left, or never confirmed and their link expired) before ?2:
 * their topics first (no cascade on subscriber_topics). */
#define SQ_ENDED_SUBSCRIBERS                                                                       \
    "SELECT id FROM subscribers WHERE tenant_id = ?1 AND (left_at < ?2 OR (confirmed_at IS NULL "  \
    "AND confirm_expires_at < ?2))"
static sq_stmt sq_ended_topics =
    SQ_STMT("DELETE FROM subscriber_topics WHERE subscriber_id IN (" SQ_ENDED_SUBSCRIBERS ")");
static sq_stmt sq_ended_subscribers =
    SQ_STMT("DELETE FROM subscribers WHERE id IN (" SQ_ENDED_SUBSCRIBERS ")");

static int store_sqlite_tx_subscribers_purge(store *s, int64_t tenant_id, int64_t before,
                                             int64_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sq_stmt *defs[] = {&sq_ended_topics, &sq_ended_subscribers};
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = store_sqlite_stmt(c, defs[i], err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, tenant_id);
        sqlite3_bind_int64(st, 2, before);
        if (store_sqlite_run_write(c, st, NULL, "subscribers_purge", err) != 0)
            return -1;
    }
    if (n)
        *n = sqlite3_changes(c->db);
    return 0;
}

/* The recipients of a tenant's broadcast messages whose delivery state settled before ?2:
 * through broadcasts_tenant then outbox_broadcast, never the whole outbox. */
static sq_stmt sq_recipients_forget = SQ_STMT(
    "UPDATE outbox SET recipient = '', params = NULL, state_detail = NULL WHERE broadcast_id IN "
    "(SELECT id FROM broadcasts WHERE tenant_id = ?1) AND state IN ('sent', 'delivered', "
    "'bounced', 'failed') AND state_at < ?2 AND recipient <> ''");

static int store_sqlite_tx_recipients_forget(store *s, int64_t tenant_id, int64_t before,
                                             int64_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_recipients_forget, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, before);
    if (store_sqlite_run_write(c, st, NULL, "broadcast_recipients_forget", err) != 0)
        return -1;
    if (n)
        *n = sqlite3_changes(c->db);
    return 0;
}

static sq_stmt sq_subscribers_of =
    SQ_STMT("SELECT " SQ_SUBSCRIBER_COLUMNS " FROM subscribers WHERE tenant_id = ?1 AND "
            "confirmed_at IS NOT NULL AND left_at IS NULL AND ((?2 IS NOT NULL AND address = ?2 "
            "COLLATE NOCASE) OR (?3 IS NOT NULL AND account_id = ?3) OR (?4 IS NOT NULL AND "
            "channel = 'sms' AND address = ?4)) ORDER BY id");
static sq_stmt sq_subscriber_topics =
    SQ_STMT("SELECT topic_id FROM subscriber_topics WHERE subscriber_id = ?1 ORDER BY topic_id");

static int store_sqlite_subscribers_of(store *s, int64_t tenant_id, const char *address,
                                       int64_t account_id, const char *phone, arena *a,
                                       store_subscriber **out, size_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_subscribers_of, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, address);
    store_sqlite_bind_id(st, 3, account_id);
    store_sqlite_bind_text(st, 4, phone);
    if (store_sqlite_read_all(c, st, read_subscriber, a, sizeof **out, (void **)out, n,
                              "subscribers_of", err) != 0)
        return -1;
    for (size_t i = 0; i < *n; i++) {
        sqlite3_stmt *tt = store_sqlite_stmt(c, &sq_subscriber_topics, err);
        if (!tt)
            return -1;
        sqlite3_bind_int64(tt, 1, (*out)[i].id);
        int64_t *ids = NULL;
        if (store_sqlite_read_all(c, tt, store_sqlite_read_int64, a, sizeof *ids, (void **)&ids,
                                  &(*out)[i].n_topics, "subscriber_topics", err) != 0)
            return -1;
        (*out)[i].topic_ids = ids;
    }
    return 0;
}

/* The subscribers_active index gives them by id; the topic test is a primary-key probe. */
static sq_stmt sq_recipients = SQ_STMT(
    "SELECT " SQ_SUBSCRIBER_COLUMNS " FROM subscribers s WHERE tenant_id = ?1 AND confirmed_at "
    "IS NOT NULL AND left_at IS NULL AND id > ?4 AND channel IN (SELECT value FROM json_each(?2)) "
    "AND EXISTS (SELECT 1 FROM subscriber_topics st WHERE st.subscriber_id = s.id AND "
    "st.topic_id IN (SELECT value FROM json_each(?3))) AND NOT (channel = 'sms' AND EXISTS "
    "(SELECT 1 FROM sms_optouts o WHERE o.tenant_id = s.tenant_id AND o.phone = s.address)) "
    "ORDER BY id LIMIT ?5");

static int recipients_on(store_sqlite_conn *c, int64_t tenant_id, const char *channels,
                         const char *topics, int64_t after, size_t limit, arena *a,
                         store_subscriber **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_recipients, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    store_sqlite_bind_text(st, 2, channels);
    store_sqlite_bind_text(st, 3, topics);
    sqlite3_bind_int64(st, 4, after);
    sqlite3_bind_int64(st, 5, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    return store_sqlite_read_all(c, st, read_subscriber, a, sizeof **out, (void **)out, n,
                                 "recipients", err);
}

static int store_sqlite_tx_recipients(store *s, int64_t tenant_id, const char *channels,
                                      const char *topics, int64_t after, size_t limit, arena *a,
                                      store_subscriber **out, size_t *n, error *err)
{
    return recipients_on(store_sqlite_writer(s, err), tenant_id, channels, topics, after, limit, a,
                         out, n, err);
}

static int store_sqlite_recipients(store *s, int64_t tenant_id, const char *channels,
                                   const char *topics, int64_t after, size_t limit, arena *a,
                                   store_subscriber **out, size_t *n, error *err)
{
    return recipients_on(store_sqlite_reader(s, err), tenant_id, channels, topics, after, limit, a,
                         out, n, err);
}

/* ---- broadcasts ---- */

#define SQ_BROADCAST_COLUMNS                                                                       \
    "id, tenant_id, subject, subject_en, body, body_en, channels, topics, areas, base_url, "       \
    "created_by, created_at, cursor, recipients, queued_at"

static int read_broadcast(sqlite3_stmt *st, arena *a, void *p)
{
    store_broadcast *b = p;
    int oom = 0;
    b->id = sqlite3_column_int64(st, 0);
    b->tenant_id = sqlite3_column_int64(st, 1);
    b->subject = store_sqlite_col_text(st, 2, a, &oom);
    b->subject_en = store_sqlite_col_text(st, 3, a, &oom);
    b->body = store_sqlite_col_text(st, 4, a, &oom);
    b->body_en = store_sqlite_col_text(st, 5, a, &oom);
    b->channels = store_sqlite_col_text(st, 6, a, &oom);
    b->topics = store_sqlite_col_text(st, 7, a, &oom);
    b->areas = store_sqlite_col_text(st, 8, a, &oom);
    b->base_url = store_sqlite_col_text(st, 9, a, &oom);
    b->created_by = store_sqlite_col_text(st, 10, a, &oom);
    b->created_at = sqlite3_column_int64(st, 11);
    b->cursor = sqlite3_column_int64(st, 12);
    b->recipients = sqlite3_column_int64(st, 13);
    b->queued_at = sqlite3_column_int64(st, 14);
    return oom ? -1 : 0;
}

static sq_stmt sq_broadcast_insert =
    SQ_STMT("INSERT INTO broadcasts (tenant_id, subject, subject_en, body, body_en, channels, "
            "topics, areas, base_url, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
            "?8, ?9, ?10, ?11)");

static int store_sqlite_tx_broadcast_insert(store *s, const store_broadcast *b, int64_t *id_out,
                                            error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_broadcast_insert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, b->tenant_id);
    store_sqlite_bind_text(st, 2, b->subject);
    store_sqlite_bind_text(st, 3, b->subject_en ? b->subject_en : "");
    store_sqlite_bind_text(st, 4, b->body);
    store_sqlite_bind_text(st, 5, b->body_en ? b->body_en : "");
    store_sqlite_bind_text(st, 6, b->channels);
    store_sqlite_bind_text(st, 7, b->topics);
    store_sqlite_bind_text(st, 8, b->areas ? b->areas : "[]");
    store_sqlite_bind_text(st, 9, b->base_url);
    store_sqlite_bind_text(st, 10, b->created_by);
    sqlite3_bind_int64(st, 11, store_sqlite_now_or(b->created_at));
    if (store_sqlite_run_write(c, st, NULL, "broadcast_insert", err) != 0)
        return -1;
    if (id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return 0;
}

static sq_stmt sq_broadcast_get =
    SQ_STMT("SELECT " SQ_BROADCAST_COLUMNS " FROM broadcasts WHERE tenant_id = ?1 AND id = ?2");

static int broadcast_get_on(store_sqlite_conn *c, int64_t tenant_id, int64_t id, arena *a,
                            store_broadcast *out, int *found, error *err)
{
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_broadcast_get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, id);
    return store_sqlite_read_one(c, st, read_broadcast, a, out, found, "broadcast_get", err);
}

static int store_sqlite_tx_broadcast_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                         store_broadcast *out, int *found, error *err)
{
    return broadcast_get_on(store_sqlite_writer(s, err), tenant_id, id, a, out, found, err);
}

static int store_sqlite_broadcast_get(store *s, int64_t tenant_id, int64_t id, arena *a,
                                      store_broadcast *out, int *found, error *err)
{
    return broadcast_get_on(store_sqlite_reader(s, err), tenant_id, id, a, out, found, err);
}

static sq_stmt sq_broadcast_progress =
    SQ_STMT("UPDATE broadcasts SET cursor = ?2, recipients = recipients + ?3, queued_at = ?4 "
            "WHERE id = ?1");

static int store_sqlite_tx_broadcast_progress(store *s, int64_t id, int64_t cursor, int64_t added,
                                              int64_t queued_at, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_broadcast_progress, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cursor);
    sqlite3_bind_int64(st, 3, added);
    store_sqlite_bind_id(st, 4, queued_at);
    return store_sqlite_run_update(c, st, "broadcast_progress", "broadcast", err);
}

static sq_stmt sq_broadcasts = SQ_STMT("SELECT " SQ_BROADCAST_COLUMNS " FROM broadcasts WHERE "
                                       "tenant_id = ?1 ORDER BY id DESC LIMIT ?2");

static int store_sqlite_broadcasts(store *s, int64_t tenant_id, size_t limit, arena *a,
                                   store_broadcast **out, size_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_broadcasts, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    return store_sqlite_read_all(c, st, read_broadcast, a, sizeof **out, (void **)out, n,
                                 "broadcasts", err);
}

static int read_state_count(sqlite3_stmt *st, arena *a, void *p)
{
    store_state_count *sc = p;
    int oom = 0;
    sc->channel = store_sqlite_col_text(st, 0, a, &oom);
    sc->state = store_sqlite_col_text(st, 1, a, &oom);
    sc->count = sqlite3_column_int64(st, 2);
    return oom ? -1 : 0;
}

static sq_stmt sq_broadcast_states =
    SQ_STMT("SELECT channel, state, count(*) FROM outbox WHERE broadcast_id = ?1 GROUP BY channel, "
            "state ORDER BY channel, state");

static int store_sqlite_broadcast_states(store *s, int64_t id, arena *a, store_state_count **out,
                                         size_t *n, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = store_sqlite_stmt(c, &sq_broadcast_states, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return store_sqlite_read_all(c, st, read_state_count, a, sizeof **out, (void **)out, n,
                                 "broadcast_states", err);
}

const store_broadcasts_ops store_sqlite_broadcasts_ops = {
    .topics = store_sqlite_topics,
    .tx_topic_update = store_sqlite_tx_topic_update,
    .tx_subscriber_insert = store_sqlite_tx_subscriber_insert,
    .tx_subscriber_by_confirm = store_sqlite_tx_subscriber_by_confirm,
    .tx_subscriber_confirm = store_sqlite_tx_subscriber_confirm,
    .subscriber_by_leave = store_sqlite_subscriber_by_leave,
    .tx_subscriber_leave = store_sqlite_tx_subscriber_leave,
    .tx_subscribers_leave_address = store_sqlite_tx_subscribers_leave_address,
    .tx_subscribers_purge = store_sqlite_tx_subscribers_purge,
    .tx_recipients_forget = store_sqlite_tx_recipients_forget,
    .subscribers_of = store_sqlite_subscribers_of,
    .tx_recipients = store_sqlite_tx_recipients,
    .recipients = store_sqlite_recipients,
    .tx_broadcast_insert = store_sqlite_tx_broadcast_insert,
    .tx_broadcast_get = store_sqlite_tx_broadcast_get,
    .broadcast_get = store_sqlite_broadcast_get,
    .tx_broadcast_progress = store_sqlite_tx_broadcast_progress,
    .broadcasts = store_sqlite_broadcasts,
    .broadcast_states = store_sqlite_broadcast_states,
};

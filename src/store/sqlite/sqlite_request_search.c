/*
 * sqlite_request_search — the filtered request search and count (inbox, Open311 lists,
 * «Mes demandes»): the statement text is assembled from fixed fragments only; every value
 * goes through a bound parameter, recorded alongside while the text is built.
 */
#include "store/sqlite/sq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- request_search: the statement text is assembled from fixed fragments only; every
 * value goes through a bound parameter, recorded alongside while the text is built. ---- */
#define MAX_BINDS (3 * STORE_FILTER_MAX_LIST + 16)

/* The FTS5 query made from a search text: at most this many words and bytes. */
#define FTS_MAX_WORDS 16

#define FTS_MAX_LEN 4096
/* Most departments a search narrows inside the full-text index (see fts_match). */
#define FTS_SCOPE_MAX 4
/* Most years of a creation-date range narrowed inside the index. */
#define FTS_YEARS_MAX 3

typedef struct sqlbuild {
    char fts[FTS_MAX_LEN]; /* the bound MATCH expression, when there is one */
    char sql[4096];
    size_t len;
    int overflow;
    struct {
        const char *text; /* NULL: integer */
        int64_t i;
    } binds[MAX_BINDS];
    int n_binds;
    int fts_driven; /* build_where made the full-text index the outer loop */
    const char *from; /* the FROM clause naming requests as r; NULL: requests itself */
} sqlbuild;

static void sb_init(sqlbuild *b)
{
    b->len = 0;
    b->overflow = 0;
    b->n_binds = 0;
    b->fts_driven = 0;
    b->from = NULL;
    b->sql[0] = '\0';
}

static void sb_add(sqlbuild *b, const char *fragment)
{
    size_t n = strlen(fragment);
    if (b->len + n >= sizeof b->sql) {
        b->overflow = 1;
        return;
    }
    memcpy(b->sql + b->len, fragment, n + 1);
    b->len += n;
}

static void sb_int(sqlbuild *b, int64_t v)
{
    if (b->n_binds >= MAX_BINDS) {
        b->overflow = 1;
        return;
    }
    b->binds[b->n_binds].text = NULL;
    b->binds[b->n_binds++].i = v;
}

static void sb_text(sqlbuild *b, const char *v)
{
    if (b->n_binds >= MAX_BINDS) {
        b->overflow = 1;
        return;
    }
    b->binds[b->n_binds].text = v;
    b->binds[b->n_binds++].i = 0;
}

/* " AND <column> IN (?, ?, ...)" with n placeholders. */
static void sb_in_list(sqlbuild *b, const char *column, size_t n)
{
    sb_add(b, " AND ");
    sb_add(b, column);
    sb_add(b, " IN (");
    for (size_t i = 0; i < n; i++)
        sb_add(b, i ? ", ?" : "?");
    sb_add(b, ")");
}

/* The first condition after WHERE: the tenant and, for a citizen's requests, which ones.
 * A citizen's requests are those of their account OR of their e-mail address: written as a
 * UNION of two index lookups (requests_citizen, requests_email) feeding a rowid IN, with the
 * tenant test made unindexable (+), because without statistics the planner would otherwise
 * walk the whole tenant through requests_created rather than use the OR optimisation. The
 * email index is NOCASE, so the comparison must be too. */
static void sb_tenant(sqlbuild *b, const store_request_filter *f)
{
    if (!f->citizen_id && !f->citizen_email) {
        sb_add(b, "r.tenant_id = ?");
        sb_int(b, f->tenant_id);
        /* Next to the tenant, so that requests_phone (tenant_id, phone, created_at) answers
         * both equalities and the order: a caller's requests are an index range. */
        if (f->phone) {
            sb_add(b, " AND r.phone = ?");
            sb_text(b, f->phone);
        }
        return;
    }
    sb_add(b, "+r.tenant_id = ? AND r.id IN (");
    sb_int(b, f->tenant_id);
    if (f->citizen_id) {
        sb_add(b, "SELECT id FROM requests WHERE tenant_id = ? AND citizen_id = ?");
        sb_int(b, f->tenant_id);
        sb_int(b, f->citizen_id);
    }
    if (f->citizen_id && f->citizen_email)
        sb_add(b, " UNION ");
    if (f->citizen_email) {
        sb_add(b, "SELECT id FROM requests WHERE tenant_id = ? AND email = ? COLLATE NOCASE");
        sb_int(b, f->tenant_id);
        sb_text(b, f->citizen_email);
    }
    sb_add(b, ")");
    if (f->phone) {
        sb_add(b, " AND r.phone = ?");
        sb_text(b, f->phone);
    }
}

/* Whether a word holds something the tokenizer indexes: an ASCII letter or digit, or any
 * non-ASCII character (accented letters). A word of punctuation only would be an empty
 * phrase. */
static int fts_word_useful(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)w[i];
        if (ch >= 0x80 || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
            (ch >= 'A' && ch <= 'Z'))
            return 1;
    }
    return 0;
}

/* Appends to out (of cap, at *len) the FTS5 string of one word: quoted, inner double quotes
 * doubled, so that no character of the input is FTS5 syntax. 0, or -1 when it does not fit. */
static int fts_put_quoted(char *out, size_t cap, size_t *len, const char *w, size_t wn,
                          const char *suffix)
{
    size_t sn = strlen(suffix);
    if (*len + 2 * wn + sn + 8 > cap)
        return -1;
    out[(*len)++] = '"';
    for (size_t i = 0; i < wn; i++) {
        if (w[i] == '"')
            out[(*len)++] = '"';
        out[(*len)++] = w[i];
    }
    memcpy(out + *len, suffix, sn);
    *len += sn;
    out[(*len)++] = '"';
    out[*len] = '\0';
    return 0;
}

static int fts_put(char *out, size_t cap, size_t *len, const char *text)
{
    size_t n = strlen(text);
    if (*len + n + 1 > cap)
        return -1;
    memcpy(out + *len, text, n + 1);
    *len += n;
    return 0;
}

/* Whether a word is made of letters only (accented ones included), hyphens and apostrophes:
 * a French word, not a reference, a phone number or an address. */
static int fts_word_is_letters(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)w[i];
        if (!(ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-' ||
              ch == '\''))
            return 0;
    }
    return 1;
}

static int ends_with_ci(const char *w, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        char c = w[n - k + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return 0;
    }
    return 1;
}

/* A French word of four letters or more matches as a whole word, in the singular or the
 * plural, masculine or feminine: «lampadaire» also finds «lampadaires», «abimé» finds
 * «abîmée» and «abimés», «trottoirs» finds «trottoir», «journal» finds «journaux». The word is
 * brought back to a stem (a final s or x dropped, «ée» to «é», «aux» to «al») and the index is
 * asked for the stem and its usual endings, ORed: exact terms, which the index walks lazily,
 * newest first, and stops walking with the page. A prefix would merge the lists of every
 * term that starts with it before the first row came out: 24 ms for «lampadaire*» at five
 * million requests, at each search. */
static int fts_put_word_forms(char *out, size_t cap, size_t *len, const char *w, size_t wn)
{
    size_t stem = wn;
    if (ends_with_ci(w, stem, "aux") && stem >= 5) {
        if (fts_put(out, cap, len, "(") != 0 || fts_put_quoted(out, cap, len, w, stem, "") != 0 ||
            fts_put(out, cap, len, " OR ") != 0 ||
            fts_put_quoted(out, cap, len, w, stem - 3, "al") != 0 ||
            fts_put(out, cap, len, ")") != 0)
            return -1;
        return 0;
    }
    if (stem >= 4 && (ends_with_ci(w, stem, "s") || ends_with_ci(w, stem, "x")))
        stem--;
    if (stem >= 4 && ends_with_ci(w, stem, "e") &&
        (ends_with_ci(w, stem - 1, "e") || ends_with_ci(w, stem - 1, "\xc3\xa9")))
        stem--;
    static const char *const endings[] = {"", "s", "x", "e", "es"};
    if (fts_put(out, cap, len, "(") != 0)
        return -1;
    for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++)
        if ((i && fts_put(out, cap, len, " OR ") != 0) ||
            fts_put_quoted(out, cap, len, w, stem, endings[i]) != 0)
            return -1;
    if (ends_with_ci(w, stem, "al") && (fts_put(out, cap, len, " OR ") != 0 ||
                                        fts_put_quoted(out, cap, len, w, stem - 2, "aux") != 0))
        return -1;
    return fts_put(out, cap, len, ")");
}

/* Turns the user's text into an FTS5 expression in out, every word ANDed, no character of
 * the input ever FTS5 syntax: a French word of four letters or more matches in its usual
 * forms (fts_put_word_forms); the last word, when it is shorter or holds digits or signs (a
 * reference, a phone number, an e-mail address being typed), matches as a prefix — short
 * prefixes have indexes of their own (2 and 3 characters), and such words are rare terms
 * whose lists are short; any other word matches as typed. Returns the number of words (0:
 * nothing to search for) or -1 when the expression would not fit. */
static int fts_query(const char *text, char *out, size_t cap)
{
    size_t len = 0;
    int words = 0;
    const char *p = text;
    out[0] = '\0';
    while (*p && words < FTS_MAX_WORDS) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f' &&
               *p != '\v')
            p++;
        size_t wn = (size_t)(p - w);
        if (wn == 0 || !fts_word_useful(w, wn))
            continue;
        /* FTS5 takes an implicit AND between plain phrases only, not before a group */
        if (words && fts_put(out, cap, &len, " AND ") != 0)
            return -1;
        int last = *p == '\0' || p[strspn(p, " \t\n\r\f\v")] == '\0';
        int rc;
        if (wn >= 4 && fts_word_is_letters(w, wn))
            rc = fts_put_word_forms(out, cap, &len, w, wn);
        else if (last)
            rc = fts_put_quoted(out, cap, &len, w, wn, "") || fts_put(out, cap, &len, "*");
        else
            rc = fts_put_quoted(out, cap, &len, w, wn, "");
        if (rc != 0)
            return -1;
        words++;
    }
    return words;
}

/* Appends " AND scope : (...)" naming tokens, or nothing for an empty list. */
static int fts_put_scope(char *out, size_t cap, size_t *len, char tokens[][24], size_t n)
{
    if (n == 0)
        return 0;
    if (fts_put(out, cap, len, " AND scope : (") != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((i && fts_put(out, cap, len, " OR ") != 0) ||
            fts_put_quoted(out, cap, len, tokens[i], strlen(tokens[i]), "") != 0)
            return -1;
    return fts_put(out, cap, len, ")");
}

/* The year (UTC) of instant t, as the index's "y<year>" token counts it. */
static int utc_year(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return 0;
    return tm.tm_year + 1900;
}

/* The MATCH expression of f's text search into out: the citizen's words (fts_query) kept to
 * the text columns, and the index's own `scope` tokens for what the filter also asks, so
 * that the index intersects those lists before any request is read: the departments ("d<id>",
 * up to FTS_SCOPE_MAX of them), open requests only ("o1"), the years of a creation-date
 * range ("y<year>", up to FTS_YEARS_MAX of them). The SQL still tests each of these: the
 * tokens only narrow the walk, they never decide alone. Returns the number of words (0: no
 * text search) or -1 when it would not fit. */
static int fts_match(const store_request_filter *f, char *out, size_t cap)
{
    char words[FTS_MAX_LEN];
    int n = fts_query(f->text, words, sizeof words);
    if (n <= 0)
        return n;
    size_t len = 0;
    if (fts_put(out, cap, &len,
                "{reference description address first_name last_name email phone} : (") != 0 ||
        fts_put(out, cap, &len, words) != 0 || fts_put(out, cap, &len, ")") != 0)
        return -1;
    char tokens[STORE_FILTER_MAX_LIST + 1][24];
    size_t n_tokens = 0;
    for (size_t i = 0; i < f->n_department_ids && i < STORE_FILTER_MAX_LIST; i++)
        snprintf(tokens[n_tokens++], sizeof tokens[0], "d%lld",
                 (long long)(f->department_ids[i] > 0 ? f->department_ids[i] : -1));
    if (f->department_id)
        snprintf(tokens[n_tokens++], sizeof tokens[0], "d%lld",
                 (long long)(f->department_id > 0 ? f->department_id : -1));
    /* Many departments (a manager's) cover most requests: merging their lists in the index
     * would cost more than testing the department of the newest matches. A negative id
     * (nothing allowed) matches no token. */
    if (n_tokens <= FTS_SCOPE_MAX && fts_put_scope(out, cap, &len, tokens, n_tokens) != 0)
        return -1;
    if (f->only_open && fts_put(out, cap, &len, " AND scope : \"o1\"") != 0)
        return -1;
    if (f->created_from > 0 && f->created_to >= f->created_from) {
        int from = utc_year(f->created_from), to = utc_year(f->created_to);
        if (from > 0 && to >= from && to - from < FTS_YEARS_MAX) {
            n_tokens = 0;
            for (int y = to; y >= from; y--)
                snprintf(tokens[n_tokens++], sizeof tokens[0], "y%04d", y);
            if (fts_put_scope(out, cap, &len, tokens, n_tokens) != 0)
                return -1;
        }
    }
    return n;
}

/* The FROM and WHERE clauses for a filter; `paging` adds the keyset cursor condition. */
static int build_where(sqlbuild *b, const store_request_filter *f, int paging, error *err)
{
    if (f->n_department_ids > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "department", "too many departments");
    if (f->n_references > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "service_request_id", "too many references");
    if (f->n_procedure_ids > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "service_code", "too many procedures");
    if (f->n_statuses > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "status", "too many statuses");
    const char *from = b->from ? b->from : " FROM requests r";
    if (f->n_references > 0) {
        sb_add(b, from);
        sb_add(b, " WHERE ");
        sb_tenant(b, f);
        sb_in_list(b, "r.reference", f->n_references);
        for (size_t i = 0; i < f->n_references; i++)
            sb_text(b, f->references[i]);
        /* the privacy conditions apply even to a lookup by reference */
        if (f->only_public)
            sb_add(b, " AND r.is_public = 1");
        return 0;
    }
    int words = 0;
    if (f->text && (words = fts_match(f, b->fts, sizeof b->fts)) < 0)
        return error_set(err, ERR_INVALID_ARG, "q", "search text too long");
    /* A text search is driven by the full-text index, newest match first (its rowids are the
     * requests' ids): the page's LIMIT stops the walk after a few matches even for a word in
     * half the requests, where an IN (matches) would first collect every one of them. */
    /* …except for one agent's requests: those are few, found through requests_assignee, and
     * each is checked against the set of matches instead. */
    b->fts_driven = words > 0 && !f->assignee;
    /* CROSS JOIN fixes the order (SQLite never reorders it): left to itself the planner may
     * walk the requests and ask the full-text index about each, a full index query per row. */
    sb_add(b, b->fts_driven
                  ? " FROM requests_fts CROSS JOIN requests r ON r.id = requests_fts.rowid"
                  : from);
    if (f->only_open311)
        sb_add(b, " JOIN procedures p ON p.id = r.procedure_id AND p.open311 = 1"
                  " AND p.open311_detail > 0");
    sb_add(b, " WHERE ");
    if (b->fts_driven) {
        sb_add(b, "requests_fts MATCH ? AND ");
        sb_text(b, b->fts);
    } else if (words > 0) {
        sb_add(b, "r.id IN (SELECT rowid FROM requests_fts WHERE requests_fts MATCH ?) AND ");
        sb_text(b, b->fts);
    }
    sb_tenant(b, f);
    if (f->only_public)
        sb_add(b, " AND r.is_public = 1");
    if (f->n_procedure_ids > 0) {
        sb_in_list(b, "r.procedure_id", f->n_procedure_ids);
        for (size_t i = 0; i < f->n_procedure_ids; i++)
            sb_int(b, f->procedure_ids[i]);
    }
    if (f->n_statuses > 0) {
        sb_in_list(b, "r.status", f->n_statuses);
        for (size_t i = 0; i < f->n_statuses; i++)
            sb_text(b, f->statuses[i]);
    }
    if (f->channel) {
        sb_add(b, " AND r.channel = ?");
        sb_text(b, f->channel);
    }
    if (f->department_id) {
        sb_add(b, " AND r.department_id = ?");
        sb_int(b, f->department_id);
    }
    if (f->assignee) {
        sb_add(b, " AND r.assignee = ?");
        sb_text(b, f->assignee);
    }
    if (f->by_priority) {
        sb_add(b, " AND r.priority = ?");
        sb_int(b, f->priority);
    }
    if (f->created_from) {
        sb_add(b, " AND r.created_at >= ?");
        sb_int(b, f->created_from);
    }
    if (f->created_to) {
        sb_add(b, " AND r.created_at <= ?");
        sb_int(b, f->created_to);
    }
    if (f->updated_since) {
        sb_add(b, " AND r.updated_at >= ?");
        sb_int(b, f->updated_since);
    }
    if (f->n_department_ids > 0) {
        sb_in_list(b, "r.department_id", f->n_department_ids);
        for (size_t i = 0; i < f->n_department_ids; i++)
            sb_int(b, f->department_ids[i]);
    }
    if (f->unassigned)
        sb_add(b, " AND r.assignee IS NULL");
    if (f->letter_due)
        sb_add(b, " AND r.letter_due = 1");
    if (f->only_open)
        sb_add(b, " AND r.closed_at IS NULL");
    if (f->by_due) {
        /* The very condition of the partial index requests_due (open requests by due date):
         * the views walk the open requests of the window only, never a closed one. */
        sb_add(b, " AND r.due_at >= ? AND r.due_at < ? AND r.closed_at IS NULL");
        sb_int(b, f->due_from);
        sb_int(b, f->due_before);
    }
    if (paging && (f->before_created_at || f->before_id)) {
        sb_add(b, " AND (r.created_at, r.id) < (?, ?)");
        sb_int(b, f->before_created_at);
        sb_int(b, f->before_id);
    }
    return 0;
}

static sqlite3_stmt *prepare_built(store_sqlite_conn *c, sqlbuild *b, error *err)
{
    if (b->overflow) {
        error_set(err, ERR_INTERNAL, NULL, "request filter statement too long");
        return NULL;
    }
    sqlite3_stmt *st = store_sqlite_stmt_dyn(c, b->sql, err);
    if (!st)
        return NULL;
    for (int i = 0; i < b->n_binds; i++) {
        int rc = b->binds[i].text
                     ? sqlite3_bind_text(st, i + 1, b->binds[i].text, -1, SQLITE_STATIC)
                     : sqlite3_bind_int64(st, i + 1, b->binds[i].i);
        if (rc != SQLITE_OK) {
            store_sqlite_done(st);
            store_sqlite_fail(c->db, rc, "bind", err);
            return NULL;
        }
    }
    return st;
}

/* The ORDER BY of each sort, ending on the id so that the order is total (stable pages). */
static const char *sort_clause(int sort)
{
    switch (sort) {
    case STORE_SORT_CREATED_ASC:
        return " ORDER BY r.created_at ASC, r.id ASC";
    case STORE_SORT_UPDATED_DESC:
        return " ORDER BY r.updated_at DESC, r.id DESC";
    case STORE_SORT_DUE_ASC:
        return " ORDER BY r.due_at IS NULL, r.due_at ASC, r.id ASC";
    case STORE_SORT_PRIORITY_DESC:
        return " ORDER BY r.priority DESC, r.created_at DESC, r.id DESC";
    default:
        return " ORDER BY r.created_at DESC, r.id DESC";
    }
}

/* The search statement of f into b. */
static int build_search(sqlbuild *b, const store_request_filter *f, error *err)
{
    if (f->limit == 0)
        return error_set(err, ERR_INVALID_ARG, "limit", "limit must be positive");
    sb_add(b, "SELECT " SQ_REQUEST_COLUMNS);
    /* Keyset paging only for the default order, whose index it follows. */
    int keyset = f->n_references == 0 && f->sort == STORE_SORT_CREATED_DESC;
    if (build_where(b, f, keyset, err) != 0)
        return -1;
    /* A text search in the default order follows the full-text index (ids grow with
     * creation), unless a keyset cursor asks for the created_at order it was taken in. */
    if (b->fts_driven && f->sort == STORE_SORT_CREATED_DESC && !f->before_created_at &&
        !f->before_id)
        sb_add(b, " ORDER BY requests_fts.rowid DESC");
    else if (f->by_due && f->sort == STORE_SORT_DUE_ASC && !f->n_references)
        /* Within a due-date window no due date is NULL: the order is requests_due's
         * (tenant, due_at, …), which the LIMIT stops walking; only the requests due at the
         * same instant are sorted, by id. */
        sb_add(b, " ORDER BY r.due_at ASC, r.id ASC");
    else
        sb_add(b, sort_clause(f->n_references ? STORE_SORT_CREATED_DESC : f->sort));
    sb_add(b, " LIMIT ? OFFSET ?");
    sb_int(b, f->limit > INT64_MAX ? INT64_MAX : (int64_t)f->limit);
    sb_int(b, f->n_references || f->offset > INT64_MAX ? 0 : (int64_t)f->offset);
    return 0;
}

int store_sqlite_request_search(store *s, const store_request_filter *f, arena *a,
                                store_request **out, size_t *n, error *err)
{
    *out = NULL;
    *n = 0;
    sqlbuild b;
    sb_init(&b);
    if (build_search(&b, f, err) != 0)
        return -1;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = prepare_built(c, &b, err);
    if (!st)
        return -1;
    return store_sqlite_read_all(c, st, store_sqlite_read_request, a, sizeof **out, (void **)out, n,
                                 "request_search", err);
}

/* Whether f asks only for what request_counts keeps (tenant, statuses, departments,
 * assignee): then its count is a sum of counters, not a walk over the requests. */
static int counted_by_counters(const store_request_filter *f)
{
    return f->n_references == 0 && f->n_procedure_ids == 0 && !f->only_open311 && !f->channel &&
           !f->by_priority && !f->created_from && !f->created_to && !f->updated_since &&
           !f->citizen_id && !f->citizen_email && !f->phone && !f->only_public && !f->by_due &&
           !f->letter_due &&
           /* open requests not named by their statuses: the counters cannot tell them */
           !(f->only_open && f->n_statuses == 0) &&
           !(f->text && f->text[strspn(f->text, " \t\r\n")] != '\0');
}

/* The count of f by the counters into b. */
static void build_count_by_counters(sqlbuild *b, const store_request_filter *f)
{
    sb_add(b, "SELECT coalesce(sum(n), 0) FROM request_counts r WHERE r.tenant_id = ?");
    sb_int(b, f->tenant_id);
    if (f->n_statuses > 0) {
        sb_in_list(b, "r.status", f->n_statuses);
        for (size_t i = 0; i < f->n_statuses; i++)
            sb_text(b, f->statuses[i]);
    }
    if (f->department_id) {
        sb_add(b, " AND r.department_id = ?");
        sb_int(b, f->department_id);
    }
    if (f->n_department_ids > 0) {
        sb_in_list(b, "r.department_id", f->n_department_ids);
        for (size_t i = 0; i < f->n_department_ids; i++)
            sb_int(b, f->department_ids[i]);
    }
    /* Requests without an assignee are counted under '', which no agent id is. */
    if (f->assignee) {
        sb_add(b, " AND r.assignee = ?");
        sb_text(b, f->assignee);
    }
    if (f->unassigned)
        sb_add(b, " AND r.assignee = ''");
}

/* The count statement of f into b: a sum of counters, or a walk of the matching requests
 * (stopping at count_cap). */
static int build_count(sqlbuild *b, const store_request_filter *f, error *err)
{
    if (f->n_department_ids > STORE_FILTER_MAX_LIST || f->n_statuses > STORE_FILTER_MAX_LIST)
        return error_set(err, ERR_INVALID_ARG, "filter", "too many values");
    if (counted_by_counters(f)) {
        build_count_by_counters(b, f);
        return 0;
    }
    /* A capped count stops walking at the cap: "at least count_cap" is all a page shows. */
    sb_add(b, f->count_cap > 0 ? "SELECT count(*) FROM (SELECT 1" : "SELECT count(*)");
    /* A count is the size of the whole result: the paging cursor does not apply. */
    if (build_where(b, f, 0, err) != 0)
        return -1;
    if (f->count_cap > 0) {
        /* Newest matches first: what a capped count looks for (open requests) is recent. */
        if (b->fts_driven)
            sb_add(b, " ORDER BY requests_fts.rowid DESC");
        sb_add(b, " LIMIT ?)");
        sb_int(b, f->count_cap);
    }
    return 0;
}

int store_sqlite_request_count(store *s, const store_request_filter *f, int64_t *count, error *err)
{
    *count = 0;
    sqlbuild b;
    sb_init(&b);
    if (build_count(&b, f, err) != 0)
        return -1;
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = prepare_built(c, &b, err);
    if (!st)
        return -1;
    int found; /* count(*) and sum() always give their row */
    return store_sqlite_read_one(c, st, store_sqlite_read_int64, NULL, count, &found,
                                 "request_count", err);
}

int store_sqlite_request_sql(const store_request_filter *f, int count, char *out, size_t cap,
                             error *err)
{
    sqlbuild *b = malloc(sizeof *b);
    if (!b)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    sb_init(b);
    int rc = count ? build_count(b, f, err) : build_search(b, f, err);
    if (rc == 0 && (b->overflow || b->len >= cap))
        rc = error_set(err, ERR_INTERNAL, NULL, "request statement too long");
    if (rc == 0)
        memcpy(out, b->sql, b->len + 1);
    free(b);
    return rc;
}

/* ---- request_facts: the statistics' walk (core/stats.c) ---- */

/* Whether every filter of f is a column request_facts keeps under the same name as requests
 * (tenant_id, procedure_id, status, channel, department_id, created_at): then the walk reads
 * the narrow facts alone, named r so that build_where's conditions apply to it as they are;
 * otherwise it joins each fact to its request for the other columns. */
static int facts_alone(const store_request_filter *f)
{
    return !f->only_open311 && !f->assignee && !f->by_priority && !f->updated_since &&
           !f->citizen_id && !f->citizen_email && !f->phone && !f->only_public && !f->unassigned &&
           !f->letter_due && !f->by_due;
}

#define FACT_COLUMNS(t)                                                                            \
    "SELECT " t ".created_at, " t ".procedure_id, " t ".department_id, " t ".channel, " t          \
    ".status, " t ".first_answer_at, " t ".closed_at, " t ".reopened, " t ".due_at, " t            \
    ".rating, " t ".supporters, coalesce(" t ".area_id, -1), " t ".assignee_id"
/* The request's location, which its facts keep (migration 58). */
#define FACT_LOCATION(t) ", " t ".lat, " t ".lon"

/* Reads a row of FACT_COLUMNS (and FACT_LOCATION when `locate`) into *fact. */
static void read_fact(sqlite3_stmt *st, int locate, store_request_fact *fact)
{
    *fact = (store_request_fact){
        .created_at = sqlite3_column_int64(st, 0),
        .procedure_id = sqlite3_column_int64(st, 1),
        .department_id = sqlite3_column_int64(st, 2),
        .channel = (const char *)sqlite3_column_text(st, 3),
        .status = (const char *)sqlite3_column_text(st, 4),
        .first_answer_at = sqlite3_column_int64(st, 5),
        .closed_at = sqlite3_column_int64(st, 6),
        .reopened = sqlite3_column_int64(st, 7),
        .due_at = sqlite3_column_int64(st, 8),
        .rating = sqlite3_column_int64(st, 9),
        .supporters = sqlite3_column_int64(st, 10),
        .area_id = sqlite3_column_int64(st, 11),
        .assignee_id = sqlite3_column_int64(st, 12),
    };
    if (locate && sqlite3_column_type(st, 13) != SQLITE_NULL &&
        sqlite3_column_type(st, 14) != SQLITE_NULL) {
        fact->has_location = 1;
        fact->lat = sqlite3_column_double(st, 13);
        fact->lon = sqlite3_column_double(st, 14);
    }
}

int store_sqlite_request_facts(store *s, const store_request_filter *f, int64_t closed_from,
                               int locate,
                               int (*row)(void *ctx, const store_request_fact *fact, error *err),
                               void *ctx, error *err)
{
    if (f->n_references > 0)
        return error_set(err, ERR_INVALID_ARG, "reference", "statistics take no references");
    if (f->text && f->text[strspn(f->text, " \t\r\n")] != '\0')
        return error_set(err, ERR_INVALID_ARG, "q", "statistics take no search text");
    sqlbuild *b = malloc(sizeof *b);
    if (!b)
        return store_sqlite_oom(err);
    sb_init(b);
    int alone = facts_alone(f), located = locate == STORE_FACTS_LOCATED;
    const char *t = alone ? "r" : "x";
    if (alone) {
        sb_add(b, FACT_COLUMNS("r"));
        if (locate)
            sb_add(b, FACT_LOCATION("r"));
        b->from = " FROM request_facts r";
    } else {
        sb_add(b, FACT_COLUMNS("x"));
        if (locate)
            sb_add(b, FACT_LOCATION("x"));
        b->from = " FROM request_facts x JOIN requests r ON r.id = x.request_id AND "
                  "r.tenant_id = x.tenant_id AND r.created_at = x.created_at";
    }
    store_request_filter g = *f;
    g.text = NULL;
    int ret = build_where(b, &g, 0, err);
    if (ret == 0) {
        sb_add(b, *t == 'r' ? " AND r.merged = 0" : " AND x.merged = 0");
        if (located)
            sb_add(b, *t == 'r' ? " AND r.lat IS NOT NULL AND r.lon IS NOT NULL"
                                : " AND x.lat IS NOT NULL AND x.lon IS NOT NULL");
        if (closed_from > 0) {
            sb_add(b, *t == 'r' ? " AND r.closed_at >= ?" : " AND x.closed_at >= ?");
            sb_int(b, closed_from);
        }
    }
    store_sqlite_conn *c = ret == 0 ? store_sqlite_reader(s, err) : NULL;
    sqlite3_stmt *st = c ? prepare_built(c, b, err) : NULL;
    if (!st) {
        free(b);
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_request_fact fact;
        read_fact(st, locate, &fact);
        if (!fact.channel || !fact.status) {
            ret = store_sqlite_oom(err);
            break;
        }
        if ((ret = row(ctx, &fact, err)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "request_facts", err);
    store_sqlite_done(st);
    free(b);
    return ret;
}

static sq_stmt sq_facts_unlocated = SQ_STMT(FACT_COLUMNS("x") FACT_LOCATION(
    "x") ", x.request_id FROM request_facts x INDEXED BY "
         "request_facts_area_unknown WHERE x.tenant_id = ?1 AND x.area_id IS NULL LIMIT ?2");

int store_sqlite_facts_unlocated(store *s, int64_t tenant_id, size_t max,
                                 int (*row)(void *ctx, const store_request_fact *fact, error *err),
                                 void *ctx, error *err)
{
    store_sqlite_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_facts_unlocated, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, (int64_t)max);
    int rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_request_fact fact;
        read_fact(st, 1, &fact);
        /* The request id rides in procedure_id's place: the pass needs the key, not the
         * figures. */
        fact.procedure_id = sqlite3_column_int64(st, 15);
        if (!fact.channel || !fact.status) {
            ret = store_sqlite_oom(err);
            break;
        }
        if ((ret = row(ctx, &fact, err)) != 0)
            break;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = store_sqlite_fail(c->db, rc, "facts_unlocated", err);
    store_sqlite_done(st);
    return ret;
}

/* Only while still unknown and the request still where the pass read it: see store.h. */
static sq_stmt sq_fact_area_set = SQ_STMT(
    "UPDATE request_facts SET area_id = ?6 WHERE tenant_id = ?1 AND created_at = ?2 AND "
    "request_id = ?3 AND area_id IS NULL AND lat IS ?4 AND lon IS ?5 AND (SELECT version FROM "
    "config_version WHERE id = 1) = ?7");

int store_sqlite_tx_fact_area_set(store *s, int64_t tenant_id, int64_t created_at,
                                  int64_t request_id, int has, double lat, double lon,
                                  int64_t area_id, int64_t config_version, int *changed, error *err)
{
    store_sqlite_conn *c = store_sqlite_writer(s, err);
    sqlite3_stmt *st = c ? store_sqlite_stmt(c, &sq_fact_area_set, err) : NULL;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, created_at);
    sqlite3_bind_int64(st, 3, request_id);
    if (has) {
        sqlite3_bind_double(st, 4, lat);
        sqlite3_bind_double(st, 5, lon);
    }
    sqlite3_bind_int64(st, 6, area_id);
    sqlite3_bind_int64(st, 7, config_version);
    if (store_sqlite_run_write(c, st, NULL, "fact_area_set", err) != 0)
        return -1;
    *changed = sqlite3_changes(c->db) > 0;
    return 0;
}

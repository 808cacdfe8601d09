/*
 * request_search — text searches that stay fast at ten million requests: walked year by
 * year, newest first, and stopped once the page is full or the time budget is spent, saying
 * from which date on the requests were searched so that the agent can ask for older years.
 *
 * Why: a search is an AND of lists in the full-text index, and when the lists barely meet
 * (a word of another department, open requests among ten years of closed ones) the index
 * walks them whole before it can say «nothing more»: at five million requests, 25-150 ms per
 * search, growing with the years kept. A year's own token in the index bounds each walk to
 * that year (sqlite_request_search.c), so the cost of a search is the years it needs, and
 * the budget caps how many of them one page load pays for.
 */
#include "core/core_internal.h"
#include "core/request.h"
#include "util/phone.h"
#include "util/timeutil.h"

#include <string.h>
#include <time.h>

void core_set_search_budget(core *c, int ms)
{
    c->search_budget_ms = ms < 0 ? 0 : ms > SEARCH_BUDGET_MS_MAX ? SEARCH_BUDGET_MS_MAX : ms;
}

/* 00:00:00 UTC on 1 January of `year`: where the index's "y<year>" token begins. */
static int64_t year_start(int year)
{
    struct tm tm = {.tm_year = year - 1900, .tm_mon = 0, .tm_mday = 1};
    return (int64_t)timegm(&tm);
}

static int utc_year(int64_t t)
{
    return time_year(t, NULL);
}

/* Whether f is a text search that the year walk applies to: newest first, offset paging
 * (a keyset cursor already bounds its walk), not a lookup by reference. */
static int walked_by_year(const store_request_filter *f)
{
    return f->text && f->text[strspn(f->text, " \t\r\n\f\v")] != '\0' && f->n_references == 0 &&
           f->sort == STORE_SORT_CREATED_DESC && !f->before_created_at && !f->before_id;
}

typedef struct year_walk {
    store_request_filter f; /* the caller's filter, bounded to the current year */
    int64_t from, to;       /* the caller's creation bounds (0: open) */
    int year, oldest;       /* the year to search next, the last one that can hold a match */
    int64_t started_ms, budget_ms;
} year_walk;

/* Prepares the walk from the newest year f allows down to the oldest request of the tenant
 * (or f's lower bound). 0, 1 when there is nothing to walk (no request), or -1. */
static int walk_start(core *c, const store_request_filter *f, year_walk *w, error *err)
{
    memset(w, 0, sizeof *w);
    w->started_ms = time_mono_ms();
    w->budget_ms = c->search_budget_ms;
    w->from = f->created_from;
    w->to = f->created_to;
    /* The tenant's oldest and newest requests, by the creation index: one step each (the
     * newest, not the clock: a request imported with a date to come is found too). */
    store_request_filter first;
    memset(&first, 0, sizeof first);
    first.tenant_id = f->tenant_id;
    first.sort = STORE_SORT_CREATED_ASC;
    first.limit = 1;
    arena a;
    arena_init(&a, 0);
    store_request *row = NULL;
    size_t n = 0;
    int rc = c->store->ops->requests.search(c->store, &first, &a, &row, &n, err);
    int64_t oldest = n ? row[0].created_at : 0;
    int64_t latest = 0;
    int any = rc == 0 && n > 0;
    if (any) {
        first.sort = STORE_SORT_CREATED_DESC;
        rc = c->store->ops->requests.search(c->store, &first, &a, &row, &n, err);
        latest = rc == 0 && n ? row[0].created_at : 0;
    }
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (!any)
        return 1;
    int64_t newest = w->to ? w->to : latest;
    w->year = utc_year(newest > oldest ? newest : oldest);
    w->oldest = utc_year(w->from > oldest ? w->from : oldest);
    w->f = *f;
    return 0;
}

/* Bounds w->f to the next year to search; 0 when there is none left. */
static int walk_next(year_walk *w)
{
    if (w->year < w->oldest)
        return 0;
    int64_t lo = year_start(w->year), hi = year_start(w->year + 1) - 1;
    w->f.created_from = w->from > lo ? w->from : lo;
    w->f.created_to = w->to && w->to < hi ? w->to : hi;
    w->year--;
    return 1;
}

/* After a year searched without enough: whether the budget allows another. When it does
 * not, *searched_from is the start of the last year searched. */
static int walk_may_go_on(const year_walk *w, int64_t *searched_from)
{
    if (w->year < w->oldest)
        return 0;
    if (time_mono_ms() - w->started_ms >= w->budget_ms) {
        *searched_from = w->f.created_from;
        return 0;
    }
    return 1;
}

/* A search for a whole phone number, typed in any form ("06 12 34 56 78", "+33 6…"), looks
 * for the digits of its stored E.164 form, which the index holds ("33612345678"): *f is then
 * a copy pointing at buf. Anything else is searched as typed. */
static const store_request_filter *
phone_as_stored(const store_request_filter *f, store_request_filter *copy, char buf[PHONE_E164_MAX])
{
    phone_result r;
    if (!f->text || phone_e164(f->text, buf, &r) != 0)
        return f;
    *copy = *f;
    copy->text = buf + 1; /* without the "+", which the tokenizer drops */
    return copy;
}

int request_search_text(core *c, const store_request_filter *f, arena *a, store_request **out,
                        size_t *n, int64_t *searched_from, error *err)
{
    store_request_filter phone_f;
    char phone[PHONE_E164_MAX];
    f = phone_as_stored(f, &phone_f, phone);
    *searched_from = 0;
    if (!walked_by_year(f))
        return request_search(c, f, a, out, n, err);
    *out = NULL;
    *n = 0;
    year_walk w;
    int rc = walk_start(c, f, &w, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    store_request *page = arena_alloc(a, f->limit * sizeof *page);
    size_t skip = f->offset, got = 0;
    while (got < f->limit && walk_next(&w)) {
        w.f.offset = 0;
        w.f.limit = skip + (f->limit - got);
        store_request *rows = NULL;
        size_t k = 0;
        if (request_search(c, &w.f, a, &rows, &k, err) != 0)
            return -1;
        size_t skipped = k < skip ? k : skip;
        skip -= skipped;
        for (size_t i = skipped; i < k && got < f->limit; i++)
            page[got++] = rows[i];
        if (got < f->limit && !walk_may_go_on(&w, searched_from))
            break;
    }
    *out = page;
    *n = got;
    return 0;
}

int request_count_text(core *c, const store_request_filter *f, int64_t *count,
                       int64_t *searched_from, error *err)
{
    store_request_filter phone_f;
    char phone[PHONE_E164_MAX];
    f = phone_as_stored(f, &phone_f, phone);
    *searched_from = 0;
    *count = 0;
    if (!walked_by_year(f))
        return request_count(c, f, count, err);
    year_walk w;
    int rc = walk_start(c, f, &w, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    while (walk_next(&w)) {
        int64_t k = 0;
        if (f->count_cap > 0)
            w.f.count_cap = f->count_cap - *count;
        if (request_count(c, &w.f, &k, err) != 0)
            return -1;
        *count += k;
        if ((f->count_cap > 0 && *count >= f->count_cap) || !walk_may_go_on(&w, searched_from))
            break;
    }
    return 0;
}

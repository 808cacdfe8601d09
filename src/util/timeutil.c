/*
 * timeutil — clocks, RFC 3339 formatting in a named IANA zone and strict RFC 3339 parsing.
 *
 * Zone offsets come from our own reader of the compiled tzdata files (TZif, RFC 8536, with
 * the POSIX TZ rule of the footer for instants past the last transition), not from
 * localtime_r: that would need setenv("TZ") at run time, which is not thread-safe, and it
 * takes glibc's global tz lock on every call of the hot response path. A loaded zone is
 * immutable and published once, so lookups take no lock; each thread also remembers the last
 * interval of constant offset it saw, so a formatting call is usually a compare and a few
 * divisions. Instants are clamped to years 0000..9999 so that output always has 4-digit years.
 */
#include "util/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define T_MIN INT64_C(-62167219200)
#define T_MAX INT64_C(253402300799)
#define ZONE_NAME_MAX 64
#define ZONES_MAX 16
#define ZONE_FILE_MAX (256 * 1024)

int64_t time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- civil calendar (proleptic Gregorian, H. Hinnant's algorithms: no tm, no locks) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t clamp_t(int64_t t)
{
    return t < T_MIN ? T_MIN : t > T_MAX ? T_MAX : t;
}

/* ---- POSIX TZ rule (TZif footer), e.g. "CET-1CEST,M3.5.0,M10.5.0/3" ---- */

typedef struct tz_date {
    char kind; /* 'J': Jn, 1..365 without Feb 29; 'n': 0..365 zero-based; 'M': Mm.w.d */
    int m, w, d, n;
    int32_t time; /* seconds after local midnight of that day, may be negative or > 24 h */
} tz_date;

typedef struct tz_rule {
    int32_t std_off; /* seconds east of UTC */
    int32_t dst_off;
    int has_dst;
    tz_date start, end;
} tz_rule;

static const char *rule_name(const char *p)
{
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        return *p == '>' ? p + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]h[h][:mm[:ss]] with hours up to max_h; the sign stays with the caller's meaning. */
static const char *rule_hms(const char *p, int max_h, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int h = 0, mm = 0, ss = 0, nd = 0;
    while (*p >= '0' && *p <= '9' && nd < 3)
        h = h * 10 + (*p++ - '0'), nd++;
    if (nd == 0 || h > max_h)
        return NULL;
    if (*p == ':') {
        p++;
        if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9'))
            return NULL;
        mm = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':') {
            p++;
            if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9'))
                return NULL;
            ss = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
    }
    if (mm > 59 || ss > 59)
        return NULL;
    *out = sign * (h * 3600 + mm * 60 + ss);
    return p;
}

static const char *rule_num(const char *p, int lo, int hi, int *out)
{
    int v = 0, nd = 0;
    while (*p >= '0' && *p <= '9' && nd < 4)
        v = v * 10 + (*p++ - '0'), nd++;
    if (nd == 0 || v < lo || v > hi)
        return NULL;
    *out = v;
    return p;
}

static const char *rule_date(const char *p, tz_date *d)
{
    memset(d, 0, sizeof *d);
    if (*p == 'J') {
        d->kind = 'J';
        p = rule_num(p + 1, 1, 365, &d->n);
    } else if (*p == 'M') {
        d->kind = 'M';
        p = rule_num(p + 1, 1, 12, &d->m);
        if (p && *p == '.')
            p = rule_num(p + 1, 1, 5, &d->w);
        else
            p = NULL;
        if (p && *p == '.')
            p = rule_num(p + 1, 0, 6, &d->d);
        else
            p = NULL;
    } else {
        d->kind = 'n';
        p = rule_num(p, 0, 365, &d->n);
    }
    if (!p)
        return NULL;
    d->time = 7200; /* POSIX default 02:00 */
    if (*p == '/')
        p = rule_hms(p + 1, 167, &d->time);
    return p;
}

/* Returns 0 when s is a usable POSIX TZ string. */
static int rule_parse(const char *s, tz_rule *r)
{
    memset(r, 0, sizeof *r);
    int32_t v;
    const char *p = rule_name(s);
    if (!p || !(p = rule_hms(p, 24, &v)))
        return -1;
    r->std_off = -v; /* POSIX offsets count west of Greenwich */
    if (*p == '\0')
        return 0;
    if (!(p = rule_name(p)))
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = rule_hms(p, 24, &v)))
            return -1;
        r->dst_off = -v;
    }
    /* Without explicit dates POSIX leaves the rule implementation-defined: use the US one,
     * as glibc does. */
    if (*p == '\0') {
        r->start = (tz_date){'M', 3, 2, 0, 0, 7200};
        r->end = (tz_date){'M', 11, 1, 0, 0, 7200};
        return 0;
    }
    if (*p != ',' || !(p = rule_date(p + 1, &r->start)))
        return -1;
    if (*p != ',' || !(p = rule_date(p + 1, &r->end)))
        return -1;
    return *p == '\0' ? 0 : -1;
}

/* Days since the epoch of local midnight of the rule date in year y. */
static int64_t rule_day(const tz_date *d, int64_t y)
{
    int64_t jan1 = days_from_civil(y, 1, 1);
    if (d->kind == 'J')
        return jan1 + d->n - 1 + (is_leap(y) && d->n >= 60);
    if (d->kind == 'n')
        return jan1 + d->n;
    int64_t first = days_from_civil(y, (unsigned)d->m, 1);
    int wd_first = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    int day = (d->d - wd_first + 7) % 7 + (d->w - 1) * 7;
    while (day >= (int)month_days(y, (unsigned)d->m))
        day -= 7;
    return first + day;
}

/* Offset at t under the rule, with [*from, *to) an interval around t of the same offset. */
static int32_t rule_offset(const tz_rule *r, int64_t t, int64_t *from, int64_t *to)
{
    if (!r->has_dst) {
        *from = INT64_MIN;
        *to = INT64_MAX;
        return r->std_off;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    int64_t ystart = days_from_civil(y, 1, 1) * 86400 - r->std_off;
    int64_t yend = days_from_civil(y + 1, 1, 1) * 86400 - r->std_off;
    int64_t a = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
    int64_t b = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
    int64_t cuts[4] = {ystart, a < b ? a : b, a < b ? b : a, yend};
    for (int i = 1; i < 3; i++)
        cuts[i] = cuts[i] < ystart ? ystart : cuts[i] > yend ? yend : cuts[i];
    int seg = t < cuts[1] ? 0 : t < cuts[2] ? 1 : 2;
    *from = cuts[seg];
    *to = cuts[seg + 1];
    /* Northern rules (start before end) are in DST between the two dates; southern ones
     * outside them. */
    int in_dst = a < b ? seg == 1 : seg != 1;
    return in_dst ? r->dst_off : r->std_off;
}

/* ---- zones ---- */

typedef struct tzone {
    char name[ZONE_NAME_MAX];
    int valid;         /* 0: the file could not be read; treated as UTC */
    size_t count;      /* transitions */
    int64_t *times;    /* transition instants, ascending */
    int32_t *offsets;  /* offset in force from times[i] on */
    int32_t first_off; /* before the first transition */
    int has_rule;
    tz_rule rule; /* after the last transition */
} tzone;

static tzone *zones[ZONES_MAX];
static atomic_size_t zone_count;
static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

/* Tz names come from configuration; still refuse anything that could leave the zoneinfo
 * directory. */
static int zone_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= ZONE_NAME_MAX || name[0] == '/' || strstr(name, ".."))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+' || c == '.'))
            return 0;
    }
    return 1;
}

/* Parses a TZif image into z; 0 on success. */
static int zone_parse(tzone *z, const unsigned char *p, size_t len)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return -1;
    int version = p[4];
    int tsize = 4;
    size_t off = 0;
    if (version >= '2') {
        /* Skip the 32-bit block: the 64-bit one after it covers the whole range. */
        size_t isut = (size_t)be(p + 20, 4), isstd = (size_t)be(p + 24, 4);
        size_t leap = (size_t)be(p + 28, 4), timec = (size_t)be(p + 32, 4);
        size_t typec = (size_t)be(p + 36, 4), charc = (size_t)be(p + 40, 4);
        off = 44 + timec * 5 + typec * 6 + charc + leap * 8 + isstd + isut;
        if (off + 44 > len || memcmp(p + off, "TZif", 4) != 0)
            return -1;
        tsize = 8;
    }
    const unsigned char *h = p + off;
    size_t isut = (size_t)be(h + 20, 4), isstd = (size_t)be(h + 24, 4);
    size_t leap = (size_t)be(h + 28, 4), timec = (size_t)be(h + 32, 4);
    size_t typec = (size_t)be(h + 36, 4), charc = (size_t)be(h + 40, 4);
    if (typec == 0 || typec > 256 || timec > 100000 || leap > 100000 || charc > 100000)
        return -1;
    size_t body = timec * (size_t)tsize + timec + typec * 6 + charc + leap * (size_t)(tsize + 4) +
                  isstd + isut;
    if (off + 44 + body > len)
        return -1;
    const unsigned char *tt = h + 44;
    const unsigned char *idx = tt + timec * (size_t)tsize;
    const unsigned char *types = idx + timec;
    z->times = calloc(timec ? timec : 1, sizeof *z->times);
    z->offsets = calloc(timec ? timec : 1, sizeof *z->offsets);
    if (!z->times || !z->offsets)
        return -1;
    for (size_t i = 0; i < timec; i++) {
        if (idx[i] >= typec)
            return -1;
        z->times[i] = be(tt + i * (size_t)tsize, tsize);
        z->offsets[i] = (int32_t)be(types + (size_t)idx[i] * 6, 4);
        if (i > 0 && z->times[i] <= z->times[i - 1])
            return -1;
    }
    z->count = timec;
    z->first_off = (int32_t)be(types, 4);
    if (version >= '2') {
        const unsigned char *f = h + 44 + body;
        const unsigned char *endp = p + len;
        if (f < endp && *f == '\n') {
            const unsigned char *nl = memchr(f + 1, '\n', (size_t)(endp - f - 1));
            char rule[128];
            size_t rl = nl ? (size_t)(nl - f - 1) : 0;
            if (nl && rl > 0 && rl < sizeof rule) {
                memcpy(rule, f + 1, rl);
                rule[rl] = '\0';
                z->has_rule = rule_parse(rule, &z->rule) == 0;
            }
        }
    }
    return 0;
}

static void zone_load(tzone *z)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", z->name);
    FILE *f = fopen(path, "rb");
    unsigned char *data = malloc(ZONE_FILE_MAX);
    size_t len = 0;
    if (f && data)
        len = fread(data, 1, ZONE_FILE_MAX, f);
    if (f)
        fclose(f);
    z->valid = data && len > 0 && zone_parse(z, data, len) == 0;
    free(data);
    if (!z->valid) {
        free(z->times);
        free(z->offsets);
        z->times = NULL;
        z->offsets = NULL;
        z->count = 0;
        z->has_rule = 0;
        log_warn("timeutil: time zone '%s' unreadable, using UTC", z->name);
    }
}

/* The loaded zone called name, loading it on first use; NULL when the table is full or name
 * is unusable (callers then use UTC). Loaded zones are never freed: there are a handful. */
static const tzone *zone_get(const char *name)
{
    size_t n = atomic_load_explicit(&zone_count, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (strcmp(zones[i]->name, name) == 0)
            return zones[i];
    if (!zone_name_ok(name))
        return NULL;
    pthread_mutex_lock(&zone_lock);
    const tzone *found = NULL;
    n = atomic_load_explicit(&zone_count, memory_order_relaxed);
    for (size_t i = 0; i < n && !found; i++)
        if (strcmp(zones[i]->name, name) == 0)
            found = zones[i];
    if (!found && n < ZONES_MAX) {
        tzone *z = calloc(1, sizeof *z);
        if (z) {
            snprintf(z->name, sizeof z->name, "%s", name);
            zone_load(z);
            zones[n] = z;
            atomic_store_explicit(&zone_count, n + 1, memory_order_release);
            found = z;
        }
    }
    pthread_mutex_unlock(&zone_lock);
    return found;
}

static int32_t zone_offset_raw(const tzone *z, int64_t t, int64_t *from, int64_t *to)
{
    if (!z->valid) {
        *from = INT64_MIN;
        *to = INT64_MAX;
        return 0;
    }
    if (z->count == 0 || t < z->times[0]) {
        if (z->count == 0 && z->has_rule)
            return rule_offset(&z->rule, t, from, to);
        *from = INT64_MIN;
        *to = z->count ? z->times[0] : INT64_MAX;
        return z->first_off;
    }
    size_t lo = 0, hi = z->count; /* find the last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    if (lo + 1 == z->count && z->has_rule) {
        int32_t o = rule_offset(&z->rule, t, from, to);
        if (*from < z->times[lo])
            *from = z->times[lo];
        return o;
    }
    *from = z->times[lo];
    *to = lo + 1 < z->count ? z->times[lo + 1] : INT64_MAX;
    return z->offsets[lo];
}

static int is_utc_name(const char *tz)
{
    return !tz || !*tz || strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0 ||
           strcmp(tz, "Z") == 0;
}

/* The last interval of constant offset seen by this thread. */
static _Thread_local struct {
    const tzone *zone;
    int64_t from, to;
    int32_t off;
} cache;

/* Seconds east of UTC in zone tz at t. */
static int32_t zone_offset(const char *tz, int64_t t)
{
    if (is_utc_name(tz))
        return 0;
    const tzone *z = cache.zone;
    if (!z || strcmp(z->name, tz) != 0) {
        z = zone_get(tz);
        if (!z)
            return 0;
    } else if (t >= cache.from && t < cache.to) {
        return cache.off;
    }
    int64_t from, to;
    int32_t off = zone_offset_raw(z, t, &from, &to);
    cache.zone = z;
    cache.from = from;
    cache.to = to;
    cache.off = off;
    return off;
}

static char *put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

void time_format_rfc3339(int64_t t, const char *tz, char *out)
{
    t = clamp_t(t);
    /* Historical LMT offsets have seconds, which RFC 3339 cannot express: use the offset cut
     * to whole minutes for the local time too, so that the text still denotes exactly t. */
    int32_t off = zone_offset(tz, t) / 60 * 60;
    int64_t local = clamp_t(t + off);
    int64_t days = floor_div(local, 86400);
    int64_t secs = local - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char *p = out;
    p = put2(p, (unsigned)(y / 100));
    p = put2(p, (unsigned)(y % 100));
    *p++ = '-';
    p = put2(p, m);
    *p++ = '-';
    p = put2(p, d);
    *p++ = 'T';
    p = put2(p, (unsigned)(secs / 3600));
    *p++ = ':';
    p = put2(p, (unsigned)(secs / 60 % 60));
    *p++ = ':';
    p = put2(p, (unsigned)(secs % 60));
    *p++ = off < 0 ? '-' : '+';
    unsigned aoff = (unsigned)(off < 0 ? -off : off);
    p = put2(p, aoff / 3600);
    *p++ = ':';
    p = put2(p, aoff / 60 % 60);
    *p = '\0';
}

int time_year(int64_t t, const char *tz)
{
    t = clamp_t(t);
    int64_t local = clamp_t(t + zone_offset(tz, t));
    int64_t y;
    unsigned m, d;
    civil_from_days(floor_div(local, 86400), &y, &m, &d);
    return (int)y;
}

int64_t time_local_day(int64_t t, const char *tz)
{
    t = clamp_t(t);
    return floor_div(clamp_t(t + zone_offset(tz, t)), 86400);
}

void time_day_civil(int64_t day, int *year, unsigned *month, unsigned *mday)
{
    int64_t y;
    civil_from_days(day, &y, month, mday);
    *year = (int)y;
}

void time_day_iso_week(int64_t day, int *iso_year, unsigned *week)
{
    /* 1970-01-01 was a Thursday; an ISO week belongs to the year of its Thursday. */
    int64_t monday_based = floor_div(day + 3, 7) * 7 - 3; /* the Monday of day's week */
    int64_t thursday = monday_based + 3;
    int64_t y;
    unsigned m, d;
    civil_from_days(thursday, &y, &m, &d);
    *iso_year = (int)y;
    *week = (unsigned)((thursday - days_from_civil(y, 1, 1)) / 7 + 1);
}

/* ---- parsing ---- */

/* Reads exactly n ASCII digits at *p; -1 when one is missing. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

/* A wall-clock date and time at *p: "YYYY-MM-DD", then optionally "THH:MM:SS[.frac]" (T, t
 * or space; the fraction is ignored; :60 is the next second), with ":SS" optional when
 * seconds_optional. *wall is the seconds since the epoch as if that clock showed UTC; *has_time
 * says whether a time followed the date. -1 when a field is missing or out of range. */
static int parse_wall(const char **pp, int seconds_optional, int64_t *wall, int *has_time)
{
    const char *p = *pp;
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return -1;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return -1;
    int d = digits(&p, 2);
    if (d < 1 || d > (int)month_days(y, (unsigned)mo))
        return -1;
    *wall = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400;
    *has_time = *p == 'T' || *p == 't' || *p == ' ';
    if (!*has_time) {
        *pp = p;
        return 0;
    }
    p++;
    int h = digits(&p, 2);
    if (h < 0 || h > 23 || *p++ != ':')
        return -1;
    int mi = digits(&p, 2);
    if (mi < 0 || mi > 59)
        return -1;
    int se = 0;
    if (*p == ':' || !seconds_optional) {
        if (*p++ != ':')
            return -1;
        se = digits(&p, 2);
        if (se < 0 || se > 60)
            return -1;
        if (*p == '.') {
            p++;
            if (*p < '0' || *p > '9')
                return -1;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    /* A leap second (:60) becomes the first second of the next minute: unix time has no
     * leap seconds. */
    *wall += h * 3600 + mi * 60 + se;
    *pp = p;
    return 0;
}

int time_parse_rfc3339(const char *s, int64_t *out)
{
    if (!s || !out)
        return -1;
    const char *p = s;
    int64_t wall;
    int has_time;
    if (parse_wall(&p, 0, &wall, &has_time) < 0)
        return -1;
    if (!has_time) {
        if (*p != '\0')
            return -1;
        *out = wall;
        return 0;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = digits(&p, 2);
        if (oh < 0 || oh > 23)
            return -1;
        if (*p == ':')
            p++;
        int om = digits(&p, 2);
        if (om < 0 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    *out = wall - off;
    return 0;
}

int64_t time_from_local(int64_t wall, const char *tz)
{
    /* The offset depends on the instant, which depends on the offset: two rounds settle it
     * (in the hour skipped or repeated when clocks change, either offset is kept). Offsets
     * are cut to whole minutes as time_format_rfc3339 writes them. */
    int64_t guess = wall - zone_offset(tz, wall) / 60 * 60;
    return wall - zone_offset(tz, guess) / 60 * 60;
}

int time_parse_local(const char *s, const char *tz, int64_t *out)
{
    if (!s || !out)
        return -1;
    const char *p = s;
    int64_t wall;
    int has_time;
    if (parse_wall(&p, 1, &wall, &has_time) < 0 || !has_time || *p != '\0')
        return -1;
    *out = time_from_local(wall, tz);
    return 0;
}

int time_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(cv, &ca) == 0
                 ? 0
                 : -1;
    pthread_condattr_destroy(&ca);
    return rc;
}

void time_cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms, const int *flag,
                       const int *other)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (ms < 0)
        ms = 0;
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!*flag && !(other && *other))
        if (pthread_cond_timedwait(cv, mu, &until) == ETIMEDOUT)
            break;
}
